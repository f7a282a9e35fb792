// How many of the signed-in person's notifications are unread: the bell in the navigation shows it, and the
// notifications page sets it when it marks them read. Browser only (it is never filled during server rendering).
import { api } from './api.ts';

class UnreadNotifications {
  count = $state(0);

  async refresh(): Promise<void> {
    try {
      this.count = (await api.moderation.notifications({ unread: true, limit: 1 })).pagination.total;
    } catch {
      // Offline or signed out: the bell keeps its last count.
    }
  }
}

export const unreadNotifications = new UnreadNotifications();
