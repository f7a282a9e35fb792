// A live connection lasts no longer than the session it was opened with: every way a session ends closes
// that session's connections at once, on every collab-server, and leaves the user's other sessions alone.
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { schema } from '@inkwell/db';
import {
  type Client,
  type Collab,
  type User,
  PASSWORD,
  acknowledged,
  call,
  collabToken,
  connect,
  database,
  note,
  signIn,
  sleep,
  startCollab,
  startSlowApi,
  synced,
  useStack,
  waitFor,
} from './helper.ts';

const stack = useStack();
let owner: User;
let comicId: string;

beforeAll(async () => {
  owner = await stack.signUp();
  comicId = await stack.newComic(owner);
});

/** A user with two sessions (a laptop and a phone), each with the comic open. */
async function twoDevices(url = stack.collab.url) {
  const laptop = await stack.signUp();
  const phone = await signIn(stack.api, laptop);
  await call(stack.api, 'POST', `/api/v1/comics/${comicId}/members`, owner.cookie, { username: laptop.username, role: 'editor' });
  const onLaptop = connect(url, comicId, { cookie: laptop.cookie });
  const onPhone = connect(url, comicId, { cookie: phone.cookie });
  await Promise.all([synced(onLaptop), synced(onPhone)]);
  return { laptop, phone, onLaptop, onPhone };
}

const ended = (client: Client) => waitFor(() => client.closedBecause === 'session-ended', 'the connection to close', 2000);

const closeAll = (...clients: Client[]) => clients.forEach((client) => client.close());

describe('when a session ends, its live connections close at once', () => {
  it('signing out closes that session’s connections, those opened with its collab tokens too, and no other', async () => {
    const { laptop, onLaptop, onPhone } = await twoDevices();
    const withToken = connect(stack.collab.url, comicId, { token: await collabToken(stack.api, laptop, comicId) });
    await synced(withToken);
    const unusedToken = await collabToken(stack.api, laptop, comicId);

    await call(stack.api, 'POST', '/api/v1/auth/logout', laptop.cookie);
    await Promise.all([ended(onLaptop), ended(withToken)]);
    onPhone.records.set('shape:still-here', note('still-here', 'the phone keeps editing'));
    await acknowledged(onPhone);
    expect(onPhone.closedBecause).toBeUndefined();

    // Reconnecting with the ended session, or with a token it had asked for, is refused.
    const again = connect(stack.collab.url, comicId, { cookie: laptop.cookie });
    const late = connect(stack.collab.url, comicId, { token: unusedToken });
    await waitFor(() => again.refused === 'unauthorized' && late.refused === 'unauthorized', 'the old cookie and token to be refused');
    closeAll(onLaptop, onPhone, withToken, again, late);
  });

  it('ending one session from another device closes that one only', async () => {
    const { phone, onLaptop, onPhone } = await twoDevices();
    const sessions = (await call(stack.api, 'GET', '/api/v1/auth/sessions', phone.cookie)).json().data as { id: string; current: boolean }[];
    const laptopSession = sessions.find((session) => !session.current)!;
    await call(stack.api, 'DELETE', `/api/v1/auth/sessions/${laptopSession.id}`, phone.cookie);
    await ended(onLaptop);
    expect(onPhone.closedBecause).toBeUndefined();
    closeAll(onLaptop, onPhone);
  });

  it('ending my other sessions closes theirs; ending all of them closes every one', async () => {
    const { laptop, onLaptop, onPhone } = await twoDevices();
    await call(stack.api, 'DELETE', '/api/v1/auth/sessions?keepCurrent=true', laptop.cookie);
    await ended(onPhone);
    expect(onLaptop.closedBecause).toBeUndefined();

    await call(stack.api, 'DELETE', '/api/v1/auth/sessions', laptop.cookie);
    await ended(onLaptop);
    closeAll(onLaptop, onPhone);
  });

  it('changing the password closes the other sessions’ connections', async () => {
    const { laptop, onPhone, onLaptop } = await twoDevices();
    await call(stack.api, 'POST', '/api/v1/auth/password', laptop.cookie, { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' });
    await ended(onPhone);
    closeAll(onLaptop, onPhone);
  });

  it('deactivating the account closes all of its connections', async () => {
    const { laptop, onLaptop, onPhone } = await twoDevices();
    const admin = await stack.signUp();
    const [role] = await database.db.select({ id: schema.roles.id }).from(schema.roles).where(eq(schema.roles.name, 'admin'));
    await database.db.update(schema.users).set({ roleId: role!.id }).where(eq(schema.users.id, admin.id));
    const adminSession = await signIn(stack.api, admin);

    await call(stack.api, 'PATCH', `/api/v1/admin/users/${laptop.id}`, adminSession.cookie, { isActive: false });
    await Promise.all([ended(onLaptop), ended(onPhone)]);
    closeAll(onLaptop, onPhone);
  });

  it('closes them on every collab-server', async () => {
    const other: Collab = await stack.startCollab();
    const { laptop, onLaptop } = await twoDevices();
    const onOther = connect(other.url, comicId, { cookie: laptop.cookie });
    await synced(onOther);
    await call(stack.api, 'POST', '/api/v1/auth/logout', laptop.cookie);
    await Promise.all([ended(onLaptop), ended(onOther)]);
    closeAll(onLaptop, onOther);
  });

  it('closes a connection whose access check was answered just before its session ended', async () => {
    const member = await stack.signUp();
    await call(stack.api, 'POST', `/api/v1/comics/${comicId}/members`, owner.cookie, { username: member.username, role: 'editor' });
    // The API's answer (still signed in) is held back until the member has signed out.
    const slowApi = await startSlowApi(stack.api);
    const slow = await startCollab(stack.config({ apiUrl: slowApi.url }));

    const client = connect(slow.url, comicId, { cookie: member.cookie });
    await slowApi.answered;
    await call(stack.api, 'POST', '/api/v1/auth/logout', member.cookie);
    await sleep(100);
    slowApi.release();
    await ended(client);
    client.close();
    await slow.server.close();
    slowApi.close();
  });
});
