// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time per
// package (node_modules/<pkg>, @mc/<package>, node internals, GC) and the hottest functions.
import { readFileSync } from 'node:fs';

function categoryOf(frame) {
  const url = frame.url ?? '';
  if (!url) return frame.functionName || '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const own = /\/(packages|services)\/([^/]+)\//.exec(url);
  if (own) return own[1] === 'packages' ? `@mc/${own[2]}` : `services/${own[2]}`;
  if (url.startsWith('node:')) return 'node (internals)';
  return url;
}

export function summarizeProfile(file, top = 12) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** Native and node-internal time charged to the nearest package up the stack that asked for it. */
  const callerOf = (id) => {
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur).callFrame;
      if (frame.url && !frame.url.startsWith('node:')) return categoryOf(frame);
    }
    return categoryOf(byId.get(id).callFrame);
  };
  const callers = new Map();
  const categories = new Map();
  const functions = new Map();
  let busy = 0;
  for (const [id, micros] of self) {
    const frame = byId.get(id).callFrame;
    if (frame.functionName === '(idle)') continue;
    busy += micros;
    const category = categoryOf(frame);
    categories.set(category, (categories.get(category) ?? 0) + micros);
    const caller = callerOf(id);
    callers.set(caller, (callers.get(caller) ?? 0) + micros);
    const where = frame.url ? `${frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(packages|services)\//, '$1/')}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + micros);
  }
  const rank = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, ms: Math.round(micros / 1000), share: Math.round((micros / busy) * 1000) / 10 }));
  return {
    busyMs: Math.round(busy / 1000),
    wallMs: Math.round((profile.endTime - profile.startTime) / 1000),
    byPackage: rank(categories),
    /** Self time including the node internals and native calls each package made. */
    byCallingPackage: rank(callers),
    hottestFunctions: rank(functions),
  };
}
