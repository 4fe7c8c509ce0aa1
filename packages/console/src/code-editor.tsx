/** CodeMirror 6 in React: an uncontrolled editor that reports changes and can jump to a line. */
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import { EditorView, basicSetup } from 'codemirror';
import { EditorState, type Extension } from '@codemirror/state';
import { liquid } from '@codemirror/lang-liquid';
import { html } from '@codemirror/lang-html';
import { json } from '@codemirror/lang-json';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { tags } from '@lezer/highlight';

export type Language = 'liquid-html' | 'liquid' | 'json';

export const languageExtension = (language: Language): Extension =>
  language === 'json' ? json() : language === 'liquid-html' ? liquid({ base: html() }) : liquid();

/**
 * Syntax colours and chrome that keep 4.5:1 contrast (WCAG AA) on white and on the active
 * line; CodeMirror's default highlight style and gutters fall below it in places.
 */
export const readableTheme: Extension = [
  syntaxHighlighting(
    HighlightStyle.define([
      { tag: [tags.keyword, tags.controlKeyword, tags.moduleKeyword, tags.operatorKeyword], color: '#6a1b9a' },
      { tag: [tags.tagName, tags.typeName, tags.className], color: '#0b4f8a' },
      { tag: [tags.attributeName, tags.propertyName], color: '#7a3e00' },
      { tag: [tags.string, tags.attributeValue, tags.special(tags.string), tags.regexp], color: '#0f5a23' },
      { tag: [tags.number, tags.bool, tags.null, tags.atom], color: '#0b4f8a' },
      { tag: [tags.comment, tags.blockComment, tags.lineComment], color: '#57606a', fontStyle: 'italic' },
      { tag: [tags.variableName, tags.definition(tags.variableName), tags.function(tags.variableName)], color: '#1b1f24' },
      { tag: [tags.operator, tags.punctuation, tags.angleBracket, tags.bracket, tags.brace, tags.separator], color: '#3a3f45' },
      { tag: [tags.meta, tags.processingInstruction, tags.documentMeta], color: '#3a3f45' },
      { tag: [tags.link, tags.url], color: '#0b4f8a', textDecoration: 'underline' },
      { tag: tags.invalid, color: '#a40e26' },
    ]),
  ),
  EditorView.theme({
    '.cm-activeLine': { backgroundColor: '#f0f6fc' },
    '.cm-gutters': { backgroundColor: '#f6f8fa', color: '#57606a', borderRight: '1px solid #d0d7de' },
    '.cm-activeLineGutter': { backgroundColor: '#e6edf5' },
  }),
];

export interface CodeEditorHandle {
  goToLine(line: number, column?: number): void;
  setValue(value: string): void;
}

interface Props {
  value: string;
  onChange(value: string): void;
  language: Language;
  label: string;
  minHeight?: string;
}

export const CodeEditor = forwardRef<CodeEditorHandle, Props>(function CodeEditor({ value, onChange, language, label, minHeight = '12rem' }, ref) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          languageExtension(language),
          readableTheme,
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': label }),
          EditorView.theme({ '&': { minHeight }, '.cm-scroller': { minHeight } }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => editor.destroy();
    // The editor owns its text after creation; setValue replaces it from outside.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [language, label]);

  useImperativeHandle(ref, () => ({
    goToLine(line, column = 1) {
      const editor = view.current;
      if (!editor) return;
      const target = editor.state.doc.line(Math.min(Math.max(line, 1), editor.state.doc.lines));
      const pos = Math.min(target.from + Math.max(column - 1, 0), target.to);
      editor.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
      editor.focus();
    },
    setValue(next) {
      const editor = view.current;
      if (!editor || editor.state.doc.toString() === next) return;
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: next } });
    },
  }));

  return <div className="code" ref={host} />;
});
