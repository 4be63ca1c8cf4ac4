package console

// secretsRoutes registers the secrets pages (to come).
func (c *Console) secretsRoutes() {}
