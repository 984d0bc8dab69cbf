import { errors } from './errors.ts';

export const MAX_ITEMS_PER_PAGE = 500;

export interface Link { href: string; rel: string }

function intParam(query: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return dflt;
  if (!/^\d+$/.test(raw)) throw errors.invalidQueryParameter(name, raw, 'must be a positive integer.');
  const n = Number(raw);
  if (n < min || n > max) throw errors.invalidQueryParameter(name, raw, `must be between ${min} and ${max}.`);
  return n;
}

/** Validates the paging parameters before the handler does anything else. */
export function readPaging(query: URLSearchParams): { pageNum: number; itemsPerPage: number; includeCount: boolean } {
  const pageNum = intParam(query, 'pageNum', 1, 1, Number.MAX_SAFE_INTEGER);
  const itemsPerPage = intParam(query, 'itemsPerPage', 100, 1, MAX_ITEMS_PER_PAGE);
  const ic = query.get('includeCount');
  if (ic !== null && ic !== 'true' && ic !== 'false') throw errors.invalidQueryParameter('includeCount', ic, 'must be true or false.');
  return { pageNum, itemsPerPage, includeCount: ic !== 'false' };
}

/** The list envelope: `links` (self, previous except page 1, next except last page), `results`, `totalCount`. */
export function paginate<T>(items: T[], query: URLSearchParams, selfUrl: string, render: (item: T) => unknown): unknown {
  const { pageNum, itemsPerPage, includeCount } = readPaging(query);
  const start = (pageNum - 1) * itemsPerPage;
  const page = items.slice(start, start + itemsPerPage);
  const href = (n: number) => `${selfUrl}?pageNum=${n}&itemsPerPage=${itemsPerPage}`;
  const links: Link[] = [{ href: href(pageNum), rel: 'self' }];
  if (pageNum > 1) links.push({ href: href(pageNum - 1), rel: 'previous' });
  if (start + itemsPerPage < items.length) links.push({ href: href(pageNum + 1), rel: 'next' });
  return {
    links,
    results: page.map(render),
    totalCount: includeCount ? items.length : undefined,
  };
}
