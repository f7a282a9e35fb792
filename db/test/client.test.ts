import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabaseClient } from '../src/client.ts';
import { comics, outboxMessages, roles, users } from '../src/schema.ts';

// One connection, so that what the queries prepared is what the last query sees.
const client = createDatabaseClient(process.env.DATABASE_URL!, { max: 1 });
afterAll(() => client.close());

/** The statements prepared on the client's connection. */
async function prepared(): Promise<string[]> {
  const rows = await client.sql<{ statement: string }[]>`select statement from pg_prepared_statements`;
  return rows.map((row) => row.statement);
}

describe('the database client', () => {
  it("prepares drizzle's queries, which then take one round trip each", async () => {
    const id = randomUUID();
    expect(await client.db.select().from(users).where(eq(users.id, id))).toEqual([]);
    expect((await prepared()).filter((statement) => statement.includes('from "users" where "users"."id" = $1'))).toHaveLength(1);
  });

  it('prepares them inside transactions and savepoints too', async () => {
    const [comicId, roleName] = [randomUUID(), `no-such-role-${randomUUID()}`];
    await client.db.transaction(async (tx) => {
      await tx.select({ id: comics.id }).from(comics).where(eq(comics.id, comicId));
      await tx.transaction((inner) => inner.select({ name: roles.name }).from(roles).where(eq(roles.name, roleName)));
    });
    const statements = await prepared();
    expect(statements.some((statement) => statement.includes('from "comics" where "comics"."id" = $1'))).toBe(true);
    expect(statements.some((statement) => statement.includes('from "roles" where "roles"."name" = $1'))).toBe(true);
  });

  it('still runs every kind of query: a write and its read, a failed transaction rolled back', async () => {
    const recipient = `${randomUUID()}@example.com`;
    const sent = (db: Pick<typeof client.db, 'select'>) =>
      db.select({ subject: outboxMessages.subject }).from(outboxMessages).where(eq(outboxMessages.recipient, recipient));
    await expect(
      client.db.transaction(async (tx) => {
        await tx.insert(outboxMessages).values({ recipient, subject: 'Hello', body: 'Written in a transaction that fails' });
        expect(await sent(tx)).toEqual([{ subject: 'Hello' }]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await sent(client.db)).toEqual([]);
  });
});
