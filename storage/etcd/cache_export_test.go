package etcd

import "time"

// CacheHits is how many point reads the read cache answered without a
// round trip.
func (db *DB) CacheHits() int64 { return db.cache.hits.Load() }

// CacheLen is how many records (tombstones included) the cache holds.
func (db *DB) CacheLen() int {
	db.cache.mu.RLock()
	defer db.cache.mu.RUnlock()
	return len(db.cache.entries)
}

// SetCacheLimits bounds the cache to entries records and bytes bytes.
func (db *DB) SetCacheLimits(entries, bytes int) {
	db.cache.mu.Lock()
	defer db.cache.mu.Unlock()
	db.cache.maxEntries, db.cache.maxBytes = entries, bytes
}

// SetCacheClock makes the cache's staleness check read now.
func (db *DB) SetCacheClock(now func() time.Time) {
	db.cache.mu.Lock()
	defer db.cache.mu.Unlock()
	db.cache.now = now
}

// OnCacheRestart calls restarted with the error of every cache watch that
// ends, before the next one starts; from, when not 0, is the revision the
// next watch starts at.
func (db *DB) OnCacheRestart(from int64, restarted func(error)) {
	db.cache.mu.Lock()
	defer db.cache.mu.Unlock()
	db.cache.from, db.cache.restarted = from, restarted
}

// BreakCache ends the cache's current watch, as a broken stream would.
func (db *DB) BreakCache() { db.cache.breakc <- struct{}{} }
