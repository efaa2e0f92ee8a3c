/**
 * @module
 * Holds the active snapshot. A request reads `current` once on entry and keeps that
 * object (linkerd's watch::borrow), so a swap never changes the config under a
 * request in flight.
 *
 * @example
 * const store = new SnapshotStore<GatewaySnapshot>()
 * store.swap(next)
 * const snap = store.current
 */
export class SnapshotStore<T> {
  current: T | undefined
  swaps = 0
  rejections = 0
  lastError: string | undefined
  private listeners: ((next: T) => void)[] = []

  swap(next: T): void {
    this.current = next
    this.swaps++
    this.lastError = undefined
    for (const l of this.listeners) l(next)
  }

  reject(reason: string): void {
    this.rejections++
    this.lastError = reason
  }

  onSwap(listener: (next: T) => void): void {
    this.listeners.push(listener)
  }
}
