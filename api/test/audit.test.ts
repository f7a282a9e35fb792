/**
 * Comic and media events in the audit log, as an admin reads them: each names what it is about (the comic's
 * title, the picture's name, the member's username) and gives the value before and after a change.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AuditEntry } from '../src/contract.ts';
import { type TestApp, type TestUser, createTestApp, multipartFile, registerUser } from './helper.ts';

let t: TestApp;
let storageDir: string;
let admin: TestUser;
let owner: TestUser;
let friend: TestUser;

beforeAll(async () => {
  storageDir = await mkdtemp(join(tmpdir(), 'inkwell-audit-'));
  t = await createTestApp({ storage: { driver: 'local', dir: storageDir } });
  [admin, owner, friend] = await Promise.all([registerUser(t.app, 'admin', t.db), registerUser(t.app), registerUser(t.app)]);
});
afterAll(async () => {
  await t.close();
  await rm(storageDir, { recursive: true, force: true });
});

const call = (user: TestUser, method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url, ...(payload && { payload }), headers: { cookie: user.cookie } });

/** The admin's view of one resource's entries, oldest first, as [action, before, after]. */
async function history(resourceId: string): Promise<[string, unknown, unknown][]> {
  const response = await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit?limit=100', headers: { cookie: admin.cookie } });
  const entries: AuditEntry[] = response.json().data;
  return entries
    .filter((e) => e.resourceId === resourceId)
    .reverse()
    .map((e) => [e.action, e.oldValues, e.newValues]);
}

it('records a comic’s life with its title and usernames: created, renamed, members, roles, invites, deleted', async () => {
  const comic = (await call(owner, 'POST', '/api/v1/comics', { title: 'Harbour' })).json().data;
  await call(owner, 'PATCH', `/api/v1/comics/${comic.id}`, { title: 'Harbour lights' });
  await call(owner, 'POST', `/api/v1/comics/${comic.id}/members`, { username: friend.username, role: 'viewer' });
  await call(owner, 'PATCH', `/api/v1/comics/${comic.id}/members/${friend.id}`, { role: 'editor' });
  const invite = (await call(owner, 'POST', `/api/v1/comics/${comic.id}/invites`, { role: 'viewer', expiresInDays: 7 })).json().data;
  await call(owner, 'DELETE', `/api/v1/comics/${comic.id}/invites/${invite.id}`);
  await call(owner, 'DELETE', `/api/v1/comics/${comic.id}/members/${friend.id}`);
  await call(owner, 'DELETE', `/api/v1/comics/${comic.id}`);

  expect(await history(comic.id)).toEqual([
    ['comic.created', null, { comic: 'Harbour' }],
    ['comic.renamed', { title: 'Harbour' }, { title: 'Harbour lights' }],
    ['comic.member_added', null, { comic: 'Harbour lights', username: friend.username, role: 'viewer' }],
    ['comic.member_role_changed', { comic: 'Harbour lights', username: friend.username, role: 'viewer' }, { comic: 'Harbour lights', username: friend.username, role: 'editor' }],
    ['comic.invite_created', null, { comic: 'Harbour lights', role: 'viewer', expiresAt: invite.expiresAt }],
    ['comic.invite_revoked', { comic: 'Harbour lights', role: 'viewer' }, null],
    ['comic.member_removed', { comic: 'Harbour lights', username: friend.username, role: 'editor' }, null],
    ['comic.deleted', { comic: 'Harbour lights', privacy: 'private' }, null],
  ]);
});

it('records a picture by name: uploaded, renamed, its privacy changed, deleted', async () => {
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } }).png().toBuffer();
  const form = multipartFile(png, 'sketch.png');
  const item = (await t.app.inject({ method: 'POST', url: '/api/v1/media', payload: form.payload, headers: { ...form.headers, cookie: owner.cookie } })).json().data;
  await call(owner, 'PATCH', `/api/v1/media/${item.id}`, { filename: 'Final sketch.png', privacy: 'unlisted' });
  await call(owner, 'DELETE', `/api/v1/media/${item.id}`);

  expect(await history(item.id)).toEqual([
    ['media.uploaded', null, { name: 'sketch.png', privacy: 'private' }],
    ['media.renamed', { name: 'sketch.png' }, { name: 'Final sketch.png' }],
    ['media.privacy_changed', { name: 'Final sketch.png', privacy: 'private' }, { privacy: 'unlisted' }],
    ['media.deleted', { name: 'Final sketch.png', privacy: 'unlisted' }, null],
  ]);
});
