/** Maps canonical topic names to the names used on this cluster (an optional prefix for isolation). */
export class TopicNamer {
  constructor(readonly prefix = '') {}

  physical(canonical: string): string {
    return this.prefix + canonical;
  }

  canonical(physical: string): string {
    return this.prefix && physical.startsWith(this.prefix) ? physical.slice(this.prefix.length) : physical;
  }
}
