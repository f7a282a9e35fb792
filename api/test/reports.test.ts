// Reports: filed on what the reporter can see, one open report per reporter and target, rate-limited, grouped
// by target in the moderators' queue without naming reporters; details encrypted at rest across key rotation.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import { REPORT_REASONS } from '../src/contract.ts';
import { type TestApp, type TestUser, TEST_DATA_KEYS, createTestApp, expectError, registerUser } from './helper.ts';
import { publishedComic } from './published.ts';

let t: TestApp;
let storageDir: string;
let author: TestUser;
let admin: TestUser;

beforeAll(async () => {
  storageDir = await mkdtemp(join(tmpdir(), 'inkwell-reports-'));
  t = await createTestApp({ storage: { driver: 'local', dir: storageDir } });
  author = await registerUser(t.app, 'creator', t.db);
  admin = await registerUser(t.app, 'admin', t.db);
});
afterAll(async () => {
  await t.close();
  await rm(storageDir, { recursive: true, force: true });
});

function call(app: TestApp, method: 'GET' | 'POST', url: string, user: TestUser | null, payload?: object) {
  return app.app.inject({ method, url: `/api/v1${url}`, headers: user ? { cookie: user.cookie } : {}, ...(payload && { payload }) });
}

async function group(app: TestApp, targetId: string, status = 'open') {
  const queue = (await call(app, 'GET', `/admin/reports?status=${status}&limit=100`, admin)).json();
  return queue.data.find((g: { target: { id: string } }) => g.target.id === targetId);
}

describe('reporting', () => {
  it('lists the reasons, each with its rule, for anyone', async () => {
    const response = await call(t, 'GET', '/reports/reasons', null);
    expect(response.json().data.map((r: { id: string }) => r.id)).toEqual(['spam', 'harassment', 'sexual', 'violence', 'illegal', 'copyright', 'other']);
    expect(response.json().data.every((r: { rule: string }) => r.rule.length > 10)).toBe(true);
    expect(REPORT_REASONS).toHaveLength(7);
  });

  it('collapses a repeat into one open report, groups reporters by target, and never names them', async () => {
    const { id } = await publishedComic(t, author);
    const [first, second] = [await registerUser(t.app), await registerUser(t.app)];
    const filed = await call(t, 'POST', '/reports', first, { targetType: 'comic', targetId: id, reason: 'spam', details: 'ads everywhere' });
    expect(filed.statusCode, filed.body).toBe(201);
    const again = await call(t, 'POST', '/reports', first, { targetType: 'comic', targetId: id, reason: 'violence', details: 'gore on page 2' });
    expect(again.json().data).toMatchObject({ id: filed.json().data.id, reason: 'violence', status: 'open' });
    await call(t, 'POST', '/reports', second, { targetType: 'comic', targetId: id, reason: 'violence' });

    const rows = await t.db.select().from(schema.reports).where(eq(schema.reports.targetId, id));
    expect(rows).toHaveLength(2);
    const queued = await group(t, id);
    expect(queued).toMatchObject({ reportCount: 2, reasons: { violence: 2 }, target: { type: 'comic', title: 'Published', owner: { username: author.username } } });
    expect(queued.reports.map((r: { details: string | null }) => r.details).sort()).toEqual(['gore on page 2', null].sort());
    expect(new Date(queued.firstReportedAt).getTime()).toBeLessThanOrEqual(new Date(queued.lastReportedAt).getTime());
    // Neither the reporter's answer nor the moderators' queue names who reported.
    for (const body of [again.body, JSON.stringify(queued)]) {
      for (const reporter of [first, second]) {
        expect(body).not.toContain(reporter.id);
        expect(body).not.toContain(reporter.username);
      }
    }

    // An action resolves the reports it names; the other stays open, and a new report by the first opens a new one.
    const action = await call(t, 'POST', '/admin/moderation', admin, { targetType: 'comic', targetId: id, action: 'dismiss', reason: 'fine', reportIds: [filed.json().data.id] });
    expect(action.statusCode, action.body).toBe(201);
    expect((await group(t, id)).reportCount).toBe(1);
    expect((await group(t, id, 'resolved')).reportCount).toBe(1);
    const refiled = await call(t, 'POST', '/reports', first, { targetType: 'comic', targetId: id, reason: 'spam' });
    expect(refiled.json().data.id).not.toBe(filed.json().data.id);
  });

  it('reports only what the reporter can see', async () => {
    const reporter = await registerUser(t.app);
    const draft = (await call(t, 'POST', '/comics', author, { title: 'Private draft' })).json().data;
    expectError(await call(t, 'POST', '/reports', reporter, { targetType: 'comic', targetId: draft.id, reason: 'spam' }), 404, 'not_found');
    expectError(await call(t, 'POST', '/reports', reporter, { targetType: 'media', targetId: crypto.randomUUID(), reason: 'spam' }), 404, 'not_found');
    expectError(await call(t, 'POST', '/reports', reporter, { targetType: 'user', targetId: crypto.randomUUID(), reason: 'spam' }), 404, 'not_found');
    expectError(await call(t, 'POST', '/reports', reporter, { targetType: 'user', targetId: reporter.id, reason: 'spam' }), 400, 'cannot_report_self');
    expectError(await call(t, 'POST', '/reports', null, { targetType: 'user', targetId: author.id, reason: 'spam' }), 401);
    expectError(await call(t, 'POST', '/reports', reporter, { targetType: 'user', targetId: author.id, reason: 'rude' }), 400);
    const byId = await call(t, 'POST', '/reports', reporter, { targetType: 'user', targetId: author.id, reason: 'harassment' });
    expect(byId.statusCode).toBe(201);
    // Profiles show names, not ids: a username names the same user, and the same open report.
    const byName = await call(t, 'POST', '/reports', reporter, { targetType: 'user', targetId: author.username.toUpperCase(), reason: 'spam' });
    expect(byName.json().data).toMatchObject({ id: byId.json().data.id, targetId: author.username.toUpperCase(), reason: 'spam' });
    // ...and the receipt does not tell the reporter the id the profile kept from them.
    expect(byName.body).not.toContain(author.id);
    expectError(await call(t, 'POST', '/reports', reporter, { targetType: 'comic', targetId: author.username, reason: 'spam' }), 400);
    expect((await group(t, author.id)).target).toMatchObject({ type: 'user', title: author.username });
    // A hidden comic is gone for reporters too.
    const { id } = await publishedComic(t, author);
    await call(t, 'POST', '/admin/moderation', admin, { targetType: 'comic', targetId: id, action: 'hide', reason: 'x' });
    expectError(await call(t, 'POST', '/reports', reporter, { targetType: 'comic', targetId: id, reason: 'spam' }), 404);
  });

  it('limits how many reports one person files a minute', async () => {
    const reporter = await registerUser(t.app);
    const statuses: number[] = [];
    for (let n = 0; n < 12; n++) {
      const { id } = await publishedComic(t, author);
      statuses.push((await call(t, 'POST', '/reports', reporter, { targetType: 'comic', targetId: id, reason: 'spam' })).statusCode);
    }
    expect(statuses.slice(0, 10).every((s) => s === 201)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });
});

describe('encryption at rest', () => {
  const keyA = TEST_DATA_KEYS.current;
  const keyB = { id: 'rotated', key: Buffer.alloc(32, 9) };

  it('stores report details with no plaintext in Postgres, and reads them after the key rotates', async () => {
    const reporter = await registerUser(t.app);
    const { id } = await publishedComic(t, author);
    const secret = `my phone number is 555-${Date.now()}`;
    await call(t, 'POST', '/reports', reporter, { targetType: 'comic', targetId: id, reason: 'other', details: secret });
    const [raw] = await t.db.execute<{ details: string }>(sql`select details from reports where target_id = ${id}`);
    expect(raw!.details).not.toContain('555');
    expect(raw!.details.startsWith(`${keyA.id}:`)).toBe(true);
    const found = await t.db.execute<{ n: number }>(sql`select count(*)::int as n from reports where details like ${`%${secret}%`}`);
    expect(found[0]!.n).toBe(0);

    // Rotated: B is current, A kept as an old key. A's value still reads; new values are written with B.
    const rotated = await createTestApp({ storage: { driver: 'local', dir: storageDir }, dataKeys: { current: keyB, old: [keyA] } });
    try {
      const view = (await call(rotated, 'GET', `/admin/targets/comic/${id}`, admin)).json().data;
      expect(view.reports[0].details).toBe(secret);
      await call(rotated, 'POST', `/admin/targets/comic/${id}/notes`, admin, { body: 'rotated note' });
      const [note] = await rotated.db.select({ body: schema.moderatorNotes.body }).from(schema.moderatorNotes).where(eq(schema.moderatorNotes.targetId, id));
      expect(note!.body.startsWith('rotated:')).toBe(true);
      expect((await call(rotated, 'GET', `/admin/targets/comic/${id}`, admin)).json().data.notes[0].body).toBe('rotated note');
    } finally {
      await rotated.close();
    }
  });
});
