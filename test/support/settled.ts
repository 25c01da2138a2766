// Whether a promise has settled yet, without waiting for it to.

/** The promise's value if it settled within a turn of the event loop, else 'pending'. */
export async function settled<T>(promise: Promise<T>): Promise<T | 'pending'> {
  let value: T | 'pending' = 'pending';
  void promise.then((v) => (value = v));
  await new Promise((resolve) => setImmediate(resolve));
  return value;
}
