import type { CurrentUser } from '@inkwell/api/contract';

declare global {
  namespace App {
    interface Locals {
      /** The signed-in user, as the API's `GET /auth/me` described them for this request. */
      user: CurrentUser | null;
    }
    interface PageData {
      user: CurrentUser | null;
    }
  }
}

export {};
