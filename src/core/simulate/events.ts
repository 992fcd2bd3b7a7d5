// The simulators' virtual clock: events by time, ties in the order they were scheduled (so a run is
// reproducible to the bit).
/** A binary min-heap of events by (time, order of scheduling), in parallel arrays. */
export class Events {
  private t: number[] = [];
  private seq: number[] = [];
  private kind: number[] = [];
  private a: number[] = [];
  private b: number[] = [];
  private n = 0;
  private counter = 0;
  get size() {
    return this.n;
  }
  topTime(): number {
    return this.n > 0 ? this.t[0]! : Infinity;
  }
  push(t: number, kind: number, a = 0, b = 0) {
    let i = this.n++;
    const s = this.counter++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.t[p]! < t || (this.t[p] === t && this.seq[p]! < s)) break;
      this.move(p, i);
      i = p;
    }
    this.set(i, t, s, kind, a, b);
  }
  /** removes the earliest; read it with the out parameter */
  pop(out: { t: number; kind: number; a: number; b: number }) {
    out.t = this.t[0]!;
    out.kind = this.kind[0]!;
    out.a = this.a[0]!;
    out.b = this.b[0]!;
    const last = --this.n;
    const t = this.t[last]!;
    const s = this.seq[last]!;
    const kind = this.kind[last]!;
    const a = this.a[last]!;
    const b = this.b[last]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= last) break;
      if (c + 1 < last && (this.t[c + 1]! < this.t[c]! || (this.t[c + 1] === this.t[c] && this.seq[c + 1]! < this.seq[c]!))) c++;
      if (t < this.t[c]! || (t === this.t[c] && s < this.seq[c]!)) break;
      this.move(c, i);
      i = c;
    }
    if (last > 0) this.set(i, t, s, kind, a, b);
  }
  private move(from: number, to: number) {
    this.set(to, this.t[from]!, this.seq[from]!, this.kind[from]!, this.a[from]!, this.b[from]!);
  }
  private set(i: number, t: number, s: number, kind: number, a: number, b: number) {
    this.t[i] = t;
    this.seq[i] = s;
    this.kind[i] = kind;
    this.a[i] = a;
    this.b[i] = b;
  }
}
