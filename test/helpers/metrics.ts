import type { FastifyInstance } from 'fastify';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { expect } from 'vitest';

type Labels = Record<string, string>;

/**
 * GET /metrics with `key` (a key with read:metrics), parsed with a Prometheus text parser: the
 * families, and readers of one series: a counter's or gauge's value, a histogram's count.
 */
export async function scrapeMetrics(app: FastifyInstance, key: string) {
  const response = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${key}` } });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  const families = parsePrometheusTextFormat(response.body);
  return {
    families,
    /** A counter's or gauge's value, summed over the series whose labels include `labels`. */
    value(name: string, labels: Labels = {}): number {
      const family = families.find((f) => f.name === name);
      const matches = (family?.metrics ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
      return matches.reduce((sum, m) => sum + Number(m.value ?? 0), 0);
    },
    /**
     * A histogram's count, summed over its series whose labels are `labels` exactly (every series
     * when omitted), read from the `_count` lines: the parser keeps only one series of a labelled histogram.
     */
    histogramCount(name: string, labels?: string): number {
      const series = labels === undefined ? '[^}]*' : labels.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return [...response.body.matchAll(new RegExp(`^${name}_count\\{${series}\\} (\\S+)$`, 'gm'))].reduce((sum, match) => sum + Number(match[1]), 0);
    },
  };
}
