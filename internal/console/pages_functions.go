package console

// functionsRoutes registers the functions pages (to come).
func (c *Console) functionsRoutes() {}
