import { hostname } from 'node:os';
import { workerName } from './worker-name';

describe('workerName', () => {
  it('names the replica by host and process id', () => {
    expect(workerName('worker-7f9c', 4242)).toBe('worker-7f9c:4242');
    expect(workerName()).toBe(`${hostname()}:${process.pid}`);
  });
});
