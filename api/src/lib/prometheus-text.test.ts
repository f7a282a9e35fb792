import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parsePrometheusText, sumOf } from './prometheus-text.ts';

describe('parsePrometheusText', () => {
  it('reads what prom-client writes: counters with labels, histogram series, escaped label values', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'jobs_total', help: 'Jobs', labelNames: ['workflow', 'status'], registers: [registry] });
    counter.inc({ workflow: 'txt2img-sdxl', status: 'failed' }, 2);
    counter.inc({ workflow: 'say "hi"\\\nnow', status: 'completed' });
    const histogram = new Histogram({ name: 'duration_seconds', help: 'Time', labelNames: ['workflow'], buckets: [1, 10], registers: [registry] });
    histogram.observe({ workflow: 'gif' }, 4);
    histogram.observe({ workflow: 'gif' }, 20);

    const samples = parsePrometheusText(await registry.metrics());
    expect(samples).toContainEqual({ name: 'jobs_total', labels: { workflow: 'txt2img-sdxl', status: 'failed' }, value: 2 });
    expect(samples).toContainEqual({ name: 'jobs_total', labels: { workflow: 'say "hi"\\\nnow', status: 'completed' }, value: 1 });
    expect(samples).toContainEqual({ name: 'duration_seconds_bucket', labels: { le: '+Inf', workflow: 'gif' }, value: 2 });
    expect(sumOf(samples, 'duration_seconds_sum', { workflow: 'gif' })).toBe(24);
    expect(sumOf(samples, 'jobs_total')).toBe(3);
  });

  it('takes special values and timestamps, and skips comments and malformed lines without failing', () => {
    const text = [
      '# HELP up Whether it answers',
      '# TYPE up gauge',
      'up 1 1700000000000',
      'temperature -Inf',
      'ratio NaN',
      'broken{a="1" 3',
      'no_value',
      '{} 4',
      'spaced{ a = "1" } 5',
      'ok{a="x",} 6',
    ].join('\n');
    const samples = parsePrometheusText(text);
    expect(samples.map((s) => s.name)).toEqual(['up', 'temperature', 'ratio', 'ok']);
    expect(samples[0]!.value).toBe(1);
    expect(samples[1]!.value).toBe(-Infinity);
    expect(samples[2]!.value).toBeNaN();
    expect(samples[3]!.labels).toEqual({ a: 'x' });
  });
});
