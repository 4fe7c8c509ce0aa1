/**
 * Heavy modules the ingest needs only for admin work (publishing, previews, proofs, the dev
 * outbox), loaded on first use. Most ingest replicas only accept events; this keeps ~100 MB
 * of MJML, the AWS SDK and mailparser out of their memory.
 */
let render: Promise<typeof import('@mc/render')> | undefined;
let channels: Promise<typeof import('@mc/channels')> | undefined;
let mailparser: Promise<typeof import('mailparser')> | undefined;

export const loadRender = () => (render ??= import('@mc/render'));
export const loadChannels = () => (channels ??= import('@mc/channels'));
export const loadMailparser = () => (mailparser ??= import('mailparser'));
