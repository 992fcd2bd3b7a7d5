// The live screen allocates fast (ink styles every character of every frame), and V8 answers a high
// allocation rate by growing its heap: a minute at 1,000 Pods took RSS from 150 to 250 MB while the live
// heap stayed near 50 MB (bench/README.md). These V8 flags, which take effect at run time, keep the heap
// near what is live, at some extra GC work. Only the screen sets them: a process that draws it lives
// long, and memory is its budget (the NDJSON and one-shot paths allocate little).
import { setFlagsFromString } from 'node:v8';

export const SCREEN_V8_FLAGS = ['--semi-space-growth-factor=1', '--heap-growing-percent=20'];

export function favorMemoryOverSpeed(flags: readonly string[] = SCREEN_V8_FLAGS): void {
  for (const f of flags) setFlagsFromString(f);
}
