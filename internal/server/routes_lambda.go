package server

import (
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/functions"
)

// lambdaService is the Lambda operation table (AWS REST-JSON under
// /2015-03-31/ and /2017-03-31/tags/): each served operation, whether it
// changes state (CloudTrail's readOnly: Get*, List* and sealbox's
// GetFunctionEnvironment are reads), and the method that serves it.
// Invoke runs the function's code (internal/lambdarun).
func lambdaService(fn *functions.Service) *awsapi.Service {
	return &awsapi.Service{
		Name:          "lambda",
		EventSource:   "lambda.amazonaws.com",
		InternalError: "ServiceException",
		// CreateFunction and UpdateFunctionCode take a ZIP of up to 50 MB
		// in the body, base64: Lambda's limit, "Request must be smaller
		// than 69905067 bytes".
		MaxBody:  69905066,
		TooLarge: "RequestTooLargeException",
		Operations: []awsapi.Operation{
			awsapi.Write("CreateFunction", fn.CreateFunction),
			awsapi.Read("GetFunction", fn.GetFunction),
			awsapi.Read("GetFunctionConfiguration", fn.GetFunctionConfiguration),
			awsapi.Write("UpdateFunctionConfiguration", fn.UpdateFunctionConfiguration),
			awsapi.Write("UpdateFunctionCode", fn.UpdateFunctionCode),
			awsapi.Read("ListFunctions", fn.ListFunctions),
			awsapi.Write("DeleteFunction", fn.DeleteFunction),
			awsapi.Write("PublishVersion", fn.PublishVersion),
			awsapi.Read("ListVersionsByFunction", fn.ListVersionsByFunction),
			awsapi.Write("CreateAlias", fn.CreateAlias),
			awsapi.Read("GetAlias", fn.GetAlias),
			awsapi.Write("UpdateAlias", fn.UpdateAlias),
			awsapi.Read("ListAliases", fn.ListAliases),
			awsapi.Write("DeleteAlias", fn.DeleteAlias),
			awsapi.Write("TagResource", fn.TagResource),
			awsapi.Write("UntagResource", fn.UntagResource),
			awsapi.Read("ListTags", fn.ListTags),
			awsapi.Read("GetFunctionEnvironment", fn.GetFunctionEnvironment),
			// Invoke's answer is the function's, and its log (LogResult)
			// whatever the function printed: recorded as CloudTrail
			// records the data event, without them.
			awsapi.Write("Invoke", fn.Invoke).WithoutResponseElements(),
			awsapi.Write("PutFunctionConcurrency", fn.PutFunctionConcurrency),
			awsapi.Read("GetFunctionConcurrency", fn.GetFunctionConcurrency),
			awsapi.Write("DeleteFunctionConcurrency", fn.DeleteFunctionConcurrency),
		},
	}
}
