// Short, stable ids for object names Phalanx derives (reservation pods, capacity placeholders): names
// must be deterministic so every replica and every restart derives the same one.

/** FNV-1a, 32 bits, as 8 hex digits: a short, stable id (not a security boundary). */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
