import type postgres from 'postgres';

// Copies of a stored row, made by reading the table's shape from the Postgres catalog rather than
// from a list kept by hand, so a table added later is covered without editing this file:
// - the primary key and every column whose default is the clock (created_at, updated_at,
//   received_at...) take their defaults, so copies made in ONE statement share one timestamp;
// - each unique index gets one column varied: a text column gets a suffix, a uuid column a fresh
//   uuid, and a foreign key (instances: one per phone number) points at a fresh copy of the row it
//   referenced, made the same way, before the statement;
// - every other column is copied, so a copy stays in every list its original is in (same tenant,
//   same parents, same state).
// A table this cannot copy (a unique index on an expression, or on columns of another type) makes
// it throw, naming the table and index.

const CLOCK_DEFAULT = /now\(\)|current_timestamp|clock_timestamp|statement_timestamp|transaction_timestamp/i;

interface Column { name: string; type: string; hasDefault: boolean; clockDefault: boolean; generated: boolean }
type Variation = { kind: 'suffix' } | { kind: 'fresh-uuid' } | { kind: 'parent'; table: string; column: string };
interface TablePlan { table: string; pk: string; pkType: string; columns: Column[]; vary: Map<string, Variation> }

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

export class RowCloner {
  private readonly plans = new Map<string, Promise<TablePlan>>();
  // Suffixes are never reused within a run, so copies of copies (or of the same row for two
  // connections) never collide on a unique index.
  private serial = 0;

  constructor(private readonly sql: postgres.Sql) {}

  /** `count` copies of row `id` of `table` in ONE insert statement (one shared timestamp); their ids. */
  async cloneInOneStatement(table: string, id: string, count: number): Promise<string[]> {
    const plan = await this.plan(table);
    const parents = await this.parentsFor(plan, id, count);
    return this.insert(plan, id, count, parents);
  }

  /**
   * `count` copies of row `id`, one insert statement each, sent back to back on one connection
   * (postgres.js pipelines them): each gets its own transaction time, microseconds apart, so many
   * share a millisecond without sharing a timestamp.
   */
  async cloneInBurst(table: string, id: string, count: number): Promise<string[]> {
    const plan = await this.plan(table);
    const parents = await this.parentsFor(plan, id, count);
    const one = await Promise.all(Array.from({ length: count }, (_, i) => {
      const mine = new Map([...parents].map(([column, ids]) => [column, [ids[i]]]));
      return this.insert(plan, id, 1, mine);
    }));
    return one.flat();
  }

  private async insert(plan: TablePlan, id: string, count: number, parents: Map<string, string[]>): Promise<string[]> {
    const from = this.serial + 1;
    this.serial += count;
    const params: unknown[] = [id, from, from + count - 1];
    const targets: string[] = [];
    const values: string[] = [];
    for (const column of plan.columns) {
      if (column.generated) continue;
      if (column.hasDefault && (column.name === plan.pk || column.clockDefault)) continue;
      const variation = plan.vary.get(column.name);
      targets.push(ident(column.name));
      if (!variation) values.push(`s.${ident(column.name)}`);
      else if (variation.kind === 'suffix') values.push(`s.${ident(column.name)} || '~' || g.n`);
      else if (variation.kind === 'fresh-uuid') values.push('gen_random_uuid()');
      else {
        params.push(parents.get(column.name));
        values.push(`(($${params.length}::text[])[g.n - $2 + 1])::${column.type}`);
      }
    }
    const rows = await this.sql.unsafe<{ id: string }[]>(
      `insert into ${ident(plan.table)} (${targets.join(', ')})
       select ${values.join(', ')} from ${ident(plan.table)} s cross join generate_series($2::int, $3::int) g(n)
       where s.${ident(plan.pk)} = $1::${plan.pkType}
       order by g.n
       returning ${ident(plan.pk)}::text as id`,
      params as never[],
    );
    if (rows.length !== count) throw new Error(`clone ${plan.table} ${id}: made ${rows.length} rows, expected ${count} (does the row exist?)`);
    return rows.map((r) => r.id);
  }

  /** For each foreign key that must be unique, `count` fresh copies of the referenced row. */
  private async parentsFor(plan: TablePlan, id: string, count: number): Promise<Map<string, string[]>> {
    const parents = new Map<string, string[]>();
    for (const [column, variation] of plan.vary) {
      if (variation.kind !== 'parent') continue;
      const [row] = await this.sql.unsafe<{ ref: string }[]>(`select ${ident(column)}::text as ref from ${ident(plan.table)} where ${ident(plan.pk)} = $1::${plan.pkType}`, [id]);
      if (!row?.ref) throw new Error(`clone ${plan.table} ${id}: ${column} is null, cannot copy its parent`);
      const parentPlan = await this.plan(variation.table);
      if (parentPlan.pk !== variation.column) throw new Error(`clone ${plan.table}: ${column} references ${variation.table}.${variation.column}, not its primary key`);
      parents.set(column, await this.insert(parentPlan, row.ref, count, await this.parentsFor(parentPlan, row.ref, count)));
    }
    return parents;
  }

  private plan(table: string): Promise<TablePlan> {
    let plan = this.plans.get(table);
    if (!plan) {
      plan = this.readPlan(table);
      this.plans.set(table, plan);
    }
    return plan;
  }

  private async readPlan(table: string): Promise<TablePlan> {
    const sql = this.sql;
    const columns = (await sql<{ name: string; type: string; def: string | null; identity: string; generated: string }[]>`
      select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, pg_get_expr(d.adbin, d.adrelid) as def,
             a.attidentity as identity, a.attgenerated as generated
      from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = ${table}::regclass and a.attnum > 0 and not a.attisdropped
      order by a.attnum`).map((c): Column => ({
      name: c.name,
      type: c.type,
      hasDefault: c.def !== null || c.identity !== '',
      clockDefault: c.def !== null && CLOCK_DEFAULT.test(c.def),
      generated: c.generated !== '' || c.identity === 'a',
    }));
    const pks = await sql<{ name: string }[]>`
      select a.attname as name from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
      where i.indrelid = ${table}::regclass and i.indisprimary`;
    if (pks.length !== 1) throw new Error(`clone ${table}: needs a one-column primary key, found ${pks.length} columns`);
    const uniques = await sql<{ name: string; columns: string[]; expression: boolean }[]>`
      select i.indexrelid::regclass::text as name,
             array(select a.attname::text from unnest(i.indkey::int2[]) with ordinality k(attnum, ord)
                   join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.ord) as columns,
             0 = any(i.indkey::int2[]) as expression
      from pg_index i where i.indrelid = ${table}::regclass and i.indisunique and not i.indisprimary`;
    const foreignKeys = await sql<{ column: string; refTable: string; refColumn: string }[]>`
      select a.attname as column, c.confrelid::regclass::text as "refTable", af.attname as "refColumn"
      from pg_constraint c
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
      join pg_attribute af on af.attrelid = c.confrelid and af.attnum = c.confkey[1]
      where c.conrelid = ${table}::regclass and c.contype = 'f' and array_length(c.conkey, 1) = 1`;
    const fk = new Map(foreignKeys.map((f) => [f.column, f]));
    const typeOf = new Map(columns.map((c) => [c.name, c.type]));

    const vary = new Map<string, Variation>();
    for (const unique of uniques) {
      if (unique.expression) throw new Error(`clone ${table}: unique index ${unique.name} is on an expression; add a seeder for it`);
      if (unique.columns.some((c) => vary.has(c))) continue;
      const last = <T>(pick: (c: string) => T | undefined) => [...unique.columns].reverse().map(pick).find((v) => v !== undefined);
      const chosen =
        last((c) => (!fk.has(c) && /^(text|character varying)/.test(typeOf.get(c) ?? '') ? [c, { kind: 'suffix' } as Variation] as const : undefined)) ??
        last((c) => (!fk.has(c) && typeOf.get(c) === 'uuid' ? [c, { kind: 'fresh-uuid' } as Variation] as const : undefined)) ??
        last((c) => (fk.has(c) ? [c, { kind: 'parent', table: fk.get(c)!.refTable, column: fk.get(c)!.refColumn } as Variation] as const : undefined));
      if (!chosen) throw new Error(`clone ${table}: cannot vary unique index ${unique.name} (${unique.columns.join(', ')}); add a seeder for it`);
      vary.set(chosen[0], chosen[1]);
    }
    return { table, pk: pks[0].name, pkType: typeOf.get(pks[0].name)!, columns, vary };
  }
}
