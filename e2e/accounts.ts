// People for the browser tests: a fresh account each, signed up through the register page.
import { type Page, expect } from '@playwright/test';

export interface Account {
  username: string;
  email: string;
  password: string;
}

export function newAccount(name: string): Account {
  const username = `${name}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  return { username, email: `${username}@example.com`, password: 'a long enough passphrase' };
}

export async function register(page: Page, account: Account) {
  await page.goto('/register');
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Username').fill(account.username);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/account$/);
}
