// Each throughput figure as a ratio to its ceiling measured in the same run (the same machine,
// the same minute, the same load), so a busy machine moves figure and ceiling together and
// the ratio stays comparable between runs; plus the absolute limits (latency, memory).
import { fmt, round } from './stats.mjs';

const RATIOS = {
  ingestSingle: {
    label: 'ingest single POST vs no-op Fastify route',
    unit: 'req/s',
    value: (d) => d.ingest?.single?.requestsPerSecond,
    ceiling: (d) => d.ingest?.ceilings?.singleNoopFastify?.requestsPerSecond,
  },
  ingestSingleVsAdd: {
    label: 'ingest single POST vs Fastify + 1 BullMQ add',
    unit: 'req/s',
    value: (d) => d.ingest?.single?.requestsPerSecond,
    ceiling: (d) => d.ingest?.ceilings?.singleFastifyAdd?.requestsPerSecond,
  },
  ingestBatch: {
    label: 'ingest batch vs raw addBulk',
    unit: 'events/s',
    value: (d) => d.ingest?.batch?.eventsPerSecond,
    ceiling: (d) => d.ingest?.ceilings?.batchAddBulk?.eventsPerSecond,
  },
  deliverySmtp: {
    label: 'delivery → SMTP vs raw nodemailer pool',
    unit: 'msg/s',
    value: (d) => d.delivery?.messagesPerSecond,
    ceiling: (d) => d.deliveryCeilings?.smtp?.messagesPerSecond,
  },
  deliveryNoop: {
    label: 'delivery, no-op provider vs raw BullMQ',
    unit: 'msg/s',
    value: (d) => d.deliveryNoop?.messagesPerSecond,
    ceiling: (d) => d.deliveryCeilings?.bullmq?.jobsPerSecond,
  },
};

const LIMITS = {
  latencyP99Ms: { label: 'latency accepted → sink p99 (steady rate)', unit: 'ms', value: (d) => d.latency?.latencyMs?.p99 },
  rssIngestMb: { label: 'ingest peak RSS', unit: 'MB', value: (d) => d.memory?.ingest?.peakRssMb },
  rssWorkerMb: { label: 'worker peak RSS (SMTP delivery)', unit: 'MB', value: (d) => d.memory?.worker?.peakRssMb },
};

const finite = (n) => typeof n === 'number' && Number.isFinite(n);

/** `ratios` ({ value, ceiling, ratio, target, pass, unit }) and `limits` ({ value, target, pass, unit }). */
export function buildRatios({ details, cfg }) {
  const ratios = {};
  for (const [key, def] of Object.entries(RATIOS)) {
    const value = def.value(details);
    const ceiling = def.ceiling(details);
    const ratio = finite(value) && finite(ceiling) && ceiling > 0 ? round(value / ceiling, 3) : null;
    const target = cfg.targets.ratios[key];
    ratios[key] = { value: finite(value) ? value : null, ceiling: finite(ceiling) ? ceiling : null, ratio, target, pass: ratio !== null && ratio >= target, unit: def.unit };
  }
  const limits = {};
  for (const [key, def] of Object.entries(LIMITS)) {
    const raw = def.value(details);
    const value = finite(raw) ? round(raw, 1) : null;
    const target = cfg.targets.limits[key];
    limits[key] = { value, target, pass: value !== null && value <= target, unit: def.unit };
  }
  return { ratios, limits };
}

/** Table rows for the ratios and limits; `pass` decides the status. */
export function ratioRows({ ratios, limits }) {
  const rows = [];
  for (const [key, r] of Object.entries(ratios)) {
    rows.push({
      section: 'ratios',
      name: `${RATIOS[key].label} (${key})`,
      value: r.ratio === null ? 'n/a' : `${(Math.floor(r.ratio * 100) / 100).toFixed(2)}×  ${fmt(r.value)} / ${fmt(r.ceiling)} ${r.unit}`,
      unit: '',
      targetText: `≥ ${r.target}×`,
      pass: r.pass,
    });
  }
  for (const [key, l] of Object.entries(limits)) {
    rows.push({
      section: 'limits',
      name: `${LIMITS[key].label} (${key})`,
      value: l.value === null ? 'n/a' : `${fmt(l.value, 1)} ${l.unit}`,
      unit: '',
      targetText: `≤ ${l.target} ${l.unit}`,
      pass: l.pass,
    });
  }
  return rows;
}

/** What a smoke run requires: every ratio and limit present with finite numbers. */
export function checkSmoke({ ratios, limits }) {
  const problems = [];
  for (const key of Object.keys(RATIOS)) {
    const r = ratios[key];
    for (const field of ['value', 'ceiling', 'ratio', 'target']) if (!finite(r?.[field])) problems.push(`ratios.${key}.${field} is ${r?.[field]}`);
  }
  for (const key of Object.keys(LIMITS)) {
    const l = limits[key];
    for (const field of ['value', 'target']) if (!finite(l?.[field])) problems.push(`limits.${key}.${field} is ${l?.[field]}`);
  }
  return problems;
}

