/** One of the figures `make bench` is judged by, as its last lines print it. */
export interface Goal {
  /** kebab-case, stable: scripts grep for `GOAL <name>:`. */
  name: string;
  measured: string;
  goal: string;
  met: boolean;
}

/** Collects goals in the order the run meets them; a phase that did not run adds none. */
export class Goals {
  readonly list: Goal[] = [];

  add(name: string, measured: string, goal: string, met: boolean): void {
    this.list.push({ name, measured, goal, met });
  }

  /** `at most` goal on a number; NaN (not measured) is MISSED. */
  atMost(name: string, value: number, limit: number, unit = ''): void {
    const u = unit ? ` ${unit}` : '';
    this.add(name, Number.isFinite(value) ? `${value}${u}` : 'not measured', `<= ${limit}${u}`, Number.isFinite(value) && value <= limit);
  }

  lines(): string[] {
    return this.list.map((g) => `GOAL ${g.name}: ${g.measured} (goal ${g.goal}) ${g.met ? 'MET' : 'MISSED'}`);
  }
}
