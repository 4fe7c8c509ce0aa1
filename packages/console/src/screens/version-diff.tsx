/** Side-by-side diff (@codemirror/merge) of a frozen version against the draft; read-only. */
import { useEffect, useRef } from 'react';
import { MergeView } from '@codemirror/merge';
import { EditorView, basicSetup } from 'codemirror';
import { EditorState } from '@codemirror/state';
import { languageExtension, readableTheme } from '../code-editor';
export { contentText } from '../content-text';

export function VersionDiff({ title, left, right }: { title: string; left: string; right: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const readOnly = (label: string) => [
      basicSetup,
      languageExtension('liquid-html'),
      readableTheme,
      EditorView.lineWrapping,
      EditorState.readOnly.of(true),
      EditorView.editable.of(false),
      EditorView.contentAttributes.of({ 'aria-label': label, tabindex: '0' }),
    ];
    const view = new MergeView({
      a: { doc: left, extensions: readOnly('Published version (read only)') },
      b: { doc: right, extensions: readOnly('Draft (read only)') },
      parent: host.current!,
      collapseUnchanged: { margin: 3, minSize: 6 },
    });
    return () => view.destroy();
  }, [left, right]);
  return (
    <figure className="diff">
      <figcaption>{title}</figcaption>
      <div ref={host} data-testid="version-diff" />
    </figure>
  );
}
