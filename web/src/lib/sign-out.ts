// What this browser forgets when it signs out, wherever that happens (the menu, the account page).
import { goto } from '$app/navigation';
import { clearOfflineEdits } from '#lib/canvas/offline-database.ts';

/** After the API ended this browser's session: drops the changes kept offline, then leaves for `to`. */
export async function afterSignOut(to: string): Promise<void> {
  await clearOfflineEdits();
  await goto(to, { invalidateAll: true });
}
