/**
 * The template editor: source on the left (MJML + Liquid in CodeMirror, or the SMS / push
 * fields), test data, and a live preview on the right. Each edit is saved to the draft
 * (PATCH) and previewed (POST …/preview) ~400 ms after typing stops: the preview endpoint
 * renders the stored draft, so saving is what makes the preview follow the text.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, get, type Preview, type Proof, type Template, type Version, type Warning, type FieldProblem } from '../api';
import { CodeEditor, type CodeEditorHandle } from '../code-editor';
import { Async, Badge, ErrorBox, Field, Link, Loading, when } from '../ui';
import { VersionDiff, contentText } from './version-diff';

export function TemplateEditor({ id }: { id: string }) {
  const template = useQuery({ queryKey: ['template', id], queryFn: () => get<Template>(`/v1/templates/${encodeURIComponent(id)}`) });
  return (
    <section aria-labelledby="template-title">
      <p className="crumbs">
        <Link to="templates">← Templates</Link>
      </p>
      <Async query={template} what="the template">
        {(data) => <Editor key={data.id} template={data} />}
      </Async>
    </section>
  );
}

type Content = Record<string, unknown>;
const REQUIRED: Record<Template['channel'], string[]> = { email: ['subject', 'mjml'], sms: ['text'], push: ['title', 'body'] };
const str = (value: unknown) => (typeof value === 'string' ? value : '');

function Editor({ template }: { template: Template }) {
  const client = useQueryClient();
  const id = template.id;
  const [content, setContent] = useState<Content>(template.content);
  const [testDataText, setTestDataText] = useState(JSON.stringify(template.testData ?? { ctx: {} }, null, 2));
  const [dirty, setDirty] = useState(false);
  const [saveState, setSaveState] = useState<'saved' | 'saving' | 'unsaved' | 'failed'>('saved');
  const [saveError, setSaveError] = useState<unknown>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<unknown>(null);
  const [previewing, setPreviewing] = useState(true);
  const [notice, setNotice] = useState('');
  const [actionError, setActionError] = useState<unknown>(null);
  const editors = useRef<Record<string, CodeEditorHandle | null>>({});
  const sequence = useRef(0);
  const pending = useRef<Promise<void> | null>(null);

  const testData = (() => {
    try {
      return { value: JSON.parse(testDataText) as Record<string, unknown>, error: null };
    } catch (error) {
      return { value: null, error: (error as Error).message };
    }
  })();

  const refresh = useCallback(() => {
    void client.invalidateQueries({ queryKey: ['template', id] });
    void client.invalidateQueries({ queryKey: ['templates'] });
    void client.invalidateQueries({ queryKey: ['versions', id] });
  }, [client, id]);

  /** Saves the draft when edited, then previews it; a later run makes an earlier one's answer stale. */
  const saveAndPreview = useCallback(
    async (save: boolean) => {
      const run = ++sequence.current;
      try {
        if (save) {
          setSaveState('saving');
          await api('PATCH', `/v1/templates/${id}`, { content, ...(testData.value ? { testData: testData.value } : {}) });
          if (run !== sequence.current) return;
          setSaveState('saved');
          setSaveError(null);
          setDirty(false);
        }
      } catch (error) {
        if (run !== sequence.current) return;
        setSaveState('failed');
        setSaveError(error);
        setPreviewing(false);
        return;
      }
      setPreviewing(true);
      try {
        const result = await api<Preview>('POST', `/v1/templates/${id}/preview`, {});
        if (run !== sequence.current) return;
        setPreview(result);
        setPreviewError(null);
      } catch (error) {
        if (run !== sequence.current) return;
        setPreviewError(error);
      } finally {
        if (run === sequence.current) setPreviewing(false);
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [id, content, testDataText],
  );

  // First render: preview what is stored. Then every edit, debounced.
  useEffect(() => {
    if (!dirty) {
      pending.current = saveAndPreview(false);
      return;
    }
    setSaveState('unsaved');
    const timer = setTimeout(() => {
      pending.current = saveAndPreview(true);
    }, 400);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [content, testDataText]);

  const edit = (field: string, value: string | undefined) => {
    setDirty(true);
    setContent((current) => {
      const next = { ...current };
      // An emptied optional field is left out (the channel's default applies), a required one kept.
      if (value === undefined || (value === '' && !REQUIRED[template.channel].includes(field))) delete next[field];
      else next[field] = value;
      return next;
    });
  };

  /** Actions run on the saved draft: save what is typed first. */
  const flush = async () => {
    if (dirty) await saveAndPreview(true);
    else await pending.current;
  };

  const action = useMutation({
    mutationFn: async ({ path }: { path: string; label: string }) => {
      await flush();
      return api<{ version?: number; state?: string }>('POST', `/v1/templates/${id}/${path}`);
    },
    onMutate: () => {
      setActionError(null);
      setNotice('');
    },
    onSuccess: (result, { label }) => {
      setNotice(result?.version ? `${label}: version ${result.version} is live.` : `${label}: done.`);
      refresh();
    },
    onError: (error) => setActionError(error),
  });

  const goTo = (field: string, line?: number, column?: number) => {
    const editor = editors.current[field];
    if (editor && line) editor.goToLine(line, column);
    else document.getElementById(`field-${field}`)?.focus();
  };

  const errors: FieldProblem[] = previewError instanceof ApiError ? previewError.errors : [];
  const channel = template.channel;
  return (
    <>
      <div className="title-row">
        <h1 id="template-title">{template.name}</h1>
        <span className="muted">
          <code>{template.eventType}</code> · {channel} · {template.locale ?? 'default locale'} · <Badge value={template.state} />{' '}
          {template.publishedVersion ? `published v${template.publishedVersion}` : 'never published'}
        </span>
      </div>
      <div className="toolbar" role="toolbar" aria-label="Template actions">
        <button type="button" onClick={() => action.mutate({ path: 'publish', label: 'Published' })} disabled={action.isPending}>
          Publish
        </button>
        <button type="button" className="secondary" onClick={() => action.mutate({ path: 'unpublish', label: 'Unpublished' })} disabled={action.isPending || template.state === 'draft'}>
          Unpublish
        </button>
        {template.state === 'paused' ? (
          <button type="button" className="secondary" onClick={() => action.mutate({ path: 'resume', label: 'Resumed' })} disabled={action.isPending}>
            Resume
          </button>
        ) : (
          <button type="button" className="secondary" onClick={() => action.mutate({ path: 'pause', label: 'Paused' })} disabled={action.isPending || template.state !== 'published'}>
            Pause
          </button>
        )}
        <span className={`save-state save-${saveState}`} role="status">
          {saveState === 'saved' ? 'Draft saved' : saveState === 'saving' ? 'Saving…' : saveState === 'unsaved' ? 'Editing…' : 'Not saved'}
        </span>
      </div>
      <p role="status" className="notice">
        {notice}
      </p>
      <ErrorBox error={actionError} what="Refused" />
      <ErrorBox error={saveError} what="The draft was not saved" />
      <div className="editor-grid">
        <div className="source">
          <h2>Source</h2>
          {channel === 'email' && (
            <>
              <Field label="Subject">
                <input id="field-subject" value={str(content.subject)} onChange={(e) => edit('subject', e.target.value)} />
              </Field>
              <div className="grid2">
                <Field label="From (optional)">
                  <input id="field-from" value={str(content.from)} onChange={(e) => edit('from', e.target.value)} />
                </Field>
                <Field label="Reply-To (optional)">
                  <input id="field-replyTo" value={str(content.replyTo)} onChange={(e) => edit('replyTo', e.target.value)} />
                </Field>
              </div>
              <p className="label" id="mjml-label">
                MJML (Liquid)
              </p>
              <CodeEditor ref={(handle) => void (editors.current.mjml = handle)} label="MJML source" language="liquid-html" value={str(content.mjml)} onChange={(v) => edit('mjml', v)} minHeight="20rem" />
              <p className="label">Plain-text part (optional; derived from the HTML when empty)</p>
              <CodeEditor ref={(handle) => void (editors.current.text = handle)} label="Plain-text source" language="liquid" value={str(content.text)} onChange={(v) => edit('text', v)} minHeight="4rem" />
            </>
          )}
          {channel === 'sms' && (
            <>
              <p className="label">Text (Liquid)</p>
              <CodeEditor ref={(handle) => void (editors.current.text = handle)} label="SMS text source" language="liquid" value={str(content.text)} onChange={(v) => edit('text', v)} minHeight="8rem" />
            </>
          )}
          {channel === 'push' && (
            <>
              <Field label="Title">
                <input id="field-title" value={str(content.title)} onChange={(e) => edit('title', e.target.value)} />
              </Field>
              <p className="label">Body (Liquid)</p>
              <CodeEditor ref={(handle) => void (editors.current.body = handle)} label="Push body source" language="liquid" value={str(content.body)} onChange={(v) => edit('body', v)} minHeight="5rem" />
              <div className="grid2">
                <Field label="URL (optional)">
                  <input id="field-url" value={str(content.url)} onChange={(e) => edit('url', e.target.value)} />
                </Field>
                <Field label="Icon (optional)">
                  <input id="field-icon" value={str(content.icon)} onChange={(e) => edit('icon', e.target.value)} />
                </Field>
              </div>
            </>
          )}
          <h2>Test data</h2>
          <CodeEditor label="Test data (JSON)" language="json" value={testDataText} onChange={(v) => (setDirty(true), setTestDataText(v))} minHeight="8rem" />
          {testData.error && (
            <p className="error" role="alert">
              Test data is not JSON (not saved): {testData.error}
            </p>
          )}
        </div>
        <div className="preview-column">
          <PreviewPane preview={preview} previewing={previewing} error={previewError} errors={errors} onGoTo={goTo} />
        </div>
      </div>
      <Proofs template={template} flush={flush} />
      <Versions template={template} draft={content} onRolledBack={(version) => (setNotice(`Published this version: version ${version} is live.`), refresh())} />
    </>
  );
}

function PreviewPane({
  preview,
  previewing,
  error,
  errors,
  onGoTo,
}: {
  preview: Preview | null;
  previewing: boolean;
  error: unknown;
  errors: FieldProblem[];
  onGoTo(field: string, line?: number, column?: number): void;
}) {
  const [width, setWidth] = useState<'desktop' | 'mobile'>('desktop');
  const [tab, setTab] = useState<'html' | 'text' | 'source'>('html');
  const fieldOf = (path: string) => path.replace(/^(body\/)?content\//, '');
  return (
    <section aria-labelledby="preview-title" className="preview" aria-busy={previewing}>
      <div className="title-row">
        <h2 id="preview-title">Preview</h2>
        {previewing && <span className="muted" role="status">Rendering…</span>}
      </div>
      {error ? (
        <div className="error" role="alert" data-testid="template-error">
          <strong>{error instanceof ApiError && error.status === 422 ? 'Template error' : 'Preview failed'}: </strong>
          {(error as Error).message}
          {errors.length > 0 && (
            <ul>
              {errors.map((e, i) => (
                <li key={i}>
                  <button type="button" className="link" onClick={() => onGoTo(fieldOf(e.path), e.line, e.column)}>
                    {fieldOf(e.path)}
                    {e.line !== undefined ? ` line ${e.line}` : ''}
                    {e.column !== undefined ? `, column ${e.column}` : ''}
                  </button>
                  : {e.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
      {!preview && !error && <Loading what="the preview" />}
      {preview && (
        <div className={error ? 'stale' : undefined}>
          {error ? <p className="muted">The last preview that rendered:</p> : null}
          {preview.channel === 'email' && (
            <>
              <dl className="meta">
                <dt>Subject</dt>
                <dd data-testid="preview-subject">{preview.subject}</dd>
                {preview.from && (
                  <>
                    <dt>From</dt>
                    <dd>{preview.from}</dd>
                  </>
                )}
              </dl>
              <div className="preview-bar">
              <div className="tabs" role="tablist" aria-label="Preview format">
                {(['html', 'text', 'source'] as const).map((name) => (
                  <button key={name} id={`tab-${name}`} type="button" role="tab" aria-selected={tab === name} aria-controls="preview-panel" onClick={() => setTab(name)}>
                    {name === 'html' ? 'HTML' : name === 'text' ? 'Text' : 'Source'}
                  </button>
                ))}
              </div>
              {tab === 'html' && (
                <span className="widths" role="group" aria-label="Preview width">
                  <button type="button" aria-pressed={width === 'desktop'} onClick={() => setWidth('desktop')}>
                    Desktop
                  </button>
                  <button type="button" aria-pressed={width === 'mobile'} onClick={() => setWidth('mobile')}>
                    Mobile
                  </button>
                </span>
              )}
              </div>
              <div role="tabpanel" id="preview-panel" aria-labelledby={`tab-${tab}`}>
                {tab === 'html' && (
                  <iframe
                    title="Email preview"
                    sandbox=""
                    srcDoc={preview.html}
                    className={`frame frame-${width}`}
                  />
                )}
                {tab === 'text' && <pre className="text-part">{preview.text}</pre>}
                {tab === 'source' && <pre className="text-part">{preview.html}</pre>}
              </div>
            </>
          )}
          {preview.channel === 'sms' && (
            <>
              <pre className="sms">{preview.text}</pre>
              <p>
                {preview.segments} segment{preview.segments === 1 ? '' : 's'} · {preview.encoding} encoding · {preview.text?.length ?? 0} characters
              </p>
            </>
          )}
          {preview.channel === 'push' && (
            <>
              <div className="push-card">
                <strong>{preview.title}</strong>
                <p>{preview.body}</p>
                {preview.url && <small>{preview.url}</small>}
              </div>
              <p>Payload: {preview.payloadBytes} bytes (web push services accept about 4 KB)</p>
            </>
          )}
          <Warnings warnings={preview.warnings} onGoTo={onGoTo} />
        </div>
      )}
    </section>
  );
}

function Warnings({ warnings, onGoTo }: { warnings: Warning[]; onGoTo(field: string, line?: number, column?: number): void }) {
  if (warnings.length === 0) return <p className="ok">No warnings.</p>;
  return (
    <>
      <h3>Warnings</h3>
      <ul className="warnings">
        {warnings.map((w, i) => (
          <li key={i}>
            <button type="button" className="link" onClick={() => onGoTo(w.field, w.line, w.column)}>
              {w.field}
              {w.line !== undefined ? ` line ${w.line}` : ''}
            </button>
            : {w.message}
          </li>
        ))}
      </ul>
    </>
  );
}

function Proofs({ template, flush }: { template: Template; flush(): Promise<void> }) {
  const client = useQueryClient();
  const [selected, setSelected] = useState<string[]>(template.seedAddresses);
  const [typed, setTyped] = useState('');
  const proofs = useQuery({ queryKey: ['proofs', template.id], queryFn: () => get<{ items: Proof[] }>(`/v1/templates/${template.id}/proofs`) });
  const send = useMutation({
    mutationFn: async () => {
      await flush();
      const to = [...selected, ...typed.split(/[,\s]+/).filter(Boolean)];
      return api<{ results: { to: string; error?: string | null }[] }>('POST', `/v1/templates/${template.id}/test`, to.length ? { to } : {});
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ['proofs', template.id] }),
  });
  return (
    <section aria-labelledby="proofs-title" className="panel">
      <h2 id="proofs-title">Proofs</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          send.mutate();
        }}
      >
        {template.seedAddresses.length > 0 && (
          <fieldset>
            <legend>Seed addresses</legend>
            {template.seedAddresses.map((address) => (
              <label key={address} className="check">
                <input
                  type="checkbox"
                  checked={selected.includes(address)}
                  onChange={(e) => setSelected((s) => (e.target.checked ? [...s, address] : s.filter((a) => a !== address)))}
                />{' '}
                {address}
              </label>
            ))}
          </fieldset>
        )}
        <Field label="Proof recipient" hint={template.channel === 'sms' ? 'A phone number, e.g. +46701234567' : template.channel === 'email' ? 'An email address' : 'A push subscription'}>
          <input value={typed} onChange={(e) => setTyped(e.target.value)} />
        </Field>
        <button type="submit" disabled={send.isPending}>
          Send proof
        </button>
      </form>
      {send.isSuccess && (
        <p role="status" className="notice">
          Proof sent.
        </p>
      )}
      <ErrorBox error={send.error} what="Proof not sent" />
      <h3>History</h3>
      <Async query={proofs} what="proofs">
        {(data) =>
          data.items.length === 0 ? (
            <p>No proofs sent yet.</p>
          ) : (
            <div className="table-wrap" tabIndex={0}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Sent</th>
                    <th scope="col">To</th>
                    <th scope="col">Provider</th>
                    <th scope="col">Outcome</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((p, i) => (
                    <tr key={i}>
                      <td>{when(p.createdAt)}</td>
                      <td>{p.to.join(', ')}</td>
                      <td>{p.provider}</td>
                      <td>{p.error ? `failed: ${p.error}` : `sent${p.providerMessageId ? ` (${p.providerMessageId})` : ''}`}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Async>
    </section>
  );
}

function Versions({ template, draft, onRolledBack }: { template: Template; draft: Content; onRolledBack(version: number): void }) {
  const client = useQueryClient();
  const versions = useQuery({ queryKey: ['versions', template.id], queryFn: () => get<{ items: Version[] }>(`/v1/templates/${template.id}/versions`) });
  const [compare, setCompare] = useState<number | null>(null);
  const rollback = useMutation({
    mutationFn: (n: number) => api<{ version: number }>('POST', `/v1/templates/${template.id}/versions/${n}/publish`),
    onSuccess: (result) => {
      void client.invalidateQueries({ queryKey: ['versions', template.id] });
      onRolledBack(result.version);
    },
  });
  const chosen = versions.data?.items.find((v) => v.version === compare);
  return (
    <section aria-labelledby="versions-title" className="panel">
      <h2 id="versions-title">Versions</h2>
      <Async query={versions} what="versions">
        {(data) =>
          data.items.length === 0 ? (
            <p>Not published yet.</p>
          ) : (
            <div className="table-wrap" tabIndex={0}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">Frozen</th>
                    <th scope="col">Live</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((v) => (
                    <tr key={v.version}>
                      <td>v{v.version}</td>
                      <td>{when(v.createdAt)}</td>
                      <td>{v.published ? <Badge value="published" /> : ''}</td>
                      <td className="actions">
                        <button type="button" className="secondary" aria-label={`Diff v${v.version} against the draft`} aria-pressed={compare === v.version} onClick={() => setCompare(compare === v.version ? null : v.version)}>
                          Diff
                        </button>
                        <button type="button" className="secondary" aria-label={`Publish this version (v${v.version})`} disabled={v.published || rollback.isPending} onClick={() => rollback.mutate(v.version)}>
                          Publish this version
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Async>
      <ErrorBox error={rollback.error} what="Not published" />
      {chosen &&
        (chosen.content ? (
          <VersionDiff title={`v${chosen.version} (left) against the draft (right)`} left={contentText(template.channel, chosen.content)} right={contentText(template.channel, draft)} />
        ) : (
          <p className="error" role="alert">
            This service does not return a version's content; the diff needs it.
          </p>
        ))}
    </section>
  );
}
