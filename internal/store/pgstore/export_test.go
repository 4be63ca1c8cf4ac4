package pgstore

// Migrated reports whether Open ran migrations on s's database.
func Migrated(s *Store) bool { return s.migrated }
