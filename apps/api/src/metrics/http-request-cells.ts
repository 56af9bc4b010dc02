import type { FastHistogram, HistogramCell } from './fast-histogram.js';

/**
 * The request-duration cell of each route, method and status, found by three lookups on strings the request already
 * holds (the route template, the parser's method) and the status number: no label object and no key string per request.
 */
export class HttpRequestCells {
  private readonly byRoute = new Map<string, Map<string, Map<number, HistogramCell>>>();

  constructor(private readonly histogram: FastHistogram<'method' | 'route' | 'status'>) {}

  of(method: string, route: string, status: number): HistogramCell {
    let byMethod = this.byRoute.get(route);
    if (!byMethod) this.byRoute.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let cell = byStatus.get(status);
    if (!cell) byStatus.set(status, (cell = this.histogram.cell({ method, route, status: String(status) })));
    return cell;
  }
}
