/** Short messages that float over every page: results of buttons that have no form to show them in. */
export interface Toast {
  id: number;
  kind: 'success' | 'error';
  message: string;
}

let nextId = 1;

class Toasts {
  items = $state<Toast[]>([]);

  show(kind: Toast['kind'], message: string, ms = kind === 'error' ? 8000 : 4000) {
    const id = nextId++;
    this.items.push({ id, kind, message });
    setTimeout(() => this.dismiss(id), ms);
  }

  dismiss(id: number) {
    this.items = this.items.filter((toast) => toast.id !== id);
  }
}

export const toasts = new Toasts();
