export interface StatRow { method: string; route: string; status: number; count: number }

/** Request counts by method, templated route and status (0: no answer was sent). */
export class Stats {
  private readonly rows = new Map<string, StatRow>();

  record(method: string, route: string, status: number): void {
    const k = `${method} ${route} ${status}`;
    const row = this.rows.get(k);
    if (row) row.count++;
    else this.rows.set(k, { method, route, status, count: 1 });
  }

  list(): StatRow[] {
    return [...this.rows.values()].map((r) => ({ ...r }));
  }

  /** Total for a method and route, whatever the status. */
  count(method: string, route: string): number {
    let n = 0;
    for (const r of this.rows.values()) if (r.method === method && r.route === route) n += r.count;
    return n;
  }

  reset(): void {
    this.rows.clear();
  }
}
