package console

// iamRoutes registers the iam pages (to come).
func (c *Console) iamRoutes() {}
