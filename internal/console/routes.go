package console

// routes registers every page; each section registers its own.
func (c *Console) routes() {
	c.route("GET /console/{$}", c.overview)
	c.kmsRoutes()
	c.parametersRoutes()
	c.secretsRoutes()
	c.functionsRoutes()
	c.iamRoutes()
	c.auditRoutes()
}
