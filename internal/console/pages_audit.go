package console

// auditRoutes registers the audit pages (to come).
func (c *Console) auditRoutes() {}
