package console

// parametersRoutes registers the parameters pages (to come).
func (c *Console) parametersRoutes() {}
