package functions_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestEventInvokeConfig: the asynchronous invocation settings of a
// function, version and alias, put, updated, read, listed and deleted as
// Lambda does; bad values and destinations refused with Lambda's errors;
// each operation needs its own action.
func TestEventInvokeConfig(t *testing.T) {
	s := sealtest.Start(t)
	c := ordersWithVersions(t, s)
	_, err := c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("orders")})
	wantError(t, "GetFunctionEventInvokeConfig of none", err, "ResourceNotFoundException", 404)
	_, err = c.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{FunctionName: aws.String("orders"), MaximumRetryAttempts: aws.Int32(1)})
	wantError(t, "UpdateFunctionEventInvokeConfig of none", err, "ResourceNotFoundException", 404)

	queue := "arn:aws:sqs:us-east-1:123456789012:failed"
	put := must[*lambda.PutFunctionEventInvokeConfigOutput](t, "PutFunctionEventInvokeConfig")(c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("orders"), MaximumRetryAttempts: aws.Int32(0), MaximumEventAgeInSeconds: aws.Int32(120),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(queue)}}}))
	if aws.ToString(put.FunctionArn) != ordersARN+":$LATEST" || aws.ToInt32(put.MaximumRetryAttempts) != 0 || put.MaximumRetryAttempts == nil ||
		aws.ToInt32(put.MaximumEventAgeInSeconds) != 120 || put.LastModified == nil || put.DestinationConfig == nil ||
		put.DestinationConfig.OnFailure == nil || aws.ToString(put.DestinationConfig.OnFailure.Destination) != queue || put.DestinationConfig.OnSuccess != nil {
		t.Fatalf("PutFunctionEventInvokeConfig = %+v", put)
	}
	// Update keeps what it does not name.
	sink := "arn:aws:lambda:us-east-1:123456789012:function:sink"
	up := must[*lambda.UpdateFunctionEventInvokeConfigOutput](t, "UpdateFunctionEventInvokeConfig")(c.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{
		FunctionName: aws.String("orders"), MaximumRetryAttempts: aws.Int32(2),
		DestinationConfig: &types.DestinationConfig{OnSuccess: &types.OnSuccess{Destination: aws.String(sink)}}}))
	if aws.ToInt32(up.MaximumRetryAttempts) != 2 || aws.ToInt32(up.MaximumEventAgeInSeconds) != 120 ||
		aws.ToString(up.DestinationConfig.OnFailure.Destination) != queue || aws.ToString(up.DestinationConfig.OnSuccess.Destination) != sink {
		t.Errorf("UpdateFunctionEventInvokeConfig = %+v %+v", up, up.DestinationConfig)
	}
	// Put replaces every setting.
	must[*lambda.PutFunctionEventInvokeConfigOutput](t, "PutFunctionEventInvokeConfig live")(c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("orders"), Qualifier: aws.String("live"), MaximumRetryAttempts: aws.Int32(1)}))
	got := must[*lambda.GetFunctionEventInvokeConfigOutput](t, "GetFunctionEventInvokeConfig live")(c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{
		FunctionName: aws.String("orders:live")}))
	if aws.ToString(got.FunctionArn) != ordersARN+":live" || aws.ToInt32(got.MaximumRetryAttempts) != 1 || got.MaximumEventAgeInSeconds != nil {
		t.Errorf("GetFunctionEventInvokeConfig live = %+v", got)
	}
	list := must[*lambda.ListFunctionEventInvokeConfigsOutput](t, "ListFunctionEventInvokeConfigs")(c.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{
		FunctionName: aws.String("orders"), MaxItems: aws.Int32(1)}))
	if len(list.FunctionEventInvokeConfigs) != 1 || list.NextMarker == nil || aws.ToString(list.FunctionEventInvokeConfigs[0].FunctionArn) != ordersARN+":$LATEST" {
		t.Fatalf("ListFunctionEventInvokeConfigs page 1 = %+v", list)
	}
	list = must[*lambda.ListFunctionEventInvokeConfigsOutput](t, "ListFunctionEventInvokeConfigs 2")(c.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{
		FunctionName: aws.String("orders"), Marker: list.NextMarker}))
	if len(list.FunctionEventInvokeConfigs) != 1 || list.NextMarker != nil || aws.ToString(list.FunctionEventInvokeConfigs[0].FunctionArn) != ordersARN+":live" {
		t.Errorf("ListFunctionEventInvokeConfigs page 2 = %+v", list)
	}

	for _, bad := range []struct {
		name string
		in   *lambda.PutFunctionEventInvokeConfigInput
		code string
	}{
		{"3 retries", &lambda.PutFunctionEventInvokeConfigInput{MaximumRetryAttempts: aws.Int32(3)}, "ValidationException"},
		{"an age under a minute", &lambda.PutFunctionEventInvokeConfigInput{MaximumEventAgeInSeconds: aws.Int32(59)}, "ValidationException"},
		{"an age over six hours", &lambda.PutFunctionEventInvokeConfigInput{MaximumEventAgeInSeconds: aws.Int32(21601)}, "ValidationException"},
		{"itself as destination", &lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(ordersARN)}}}, "InvalidParameterValueException"},
		{"a bucket on success", &lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: &types.DestinationConfig{OnSuccess: &types.OnSuccess{Destination: aws.String("arn:aws:s3:::records")}}}, "InvalidParameterValueException"},
		{"a DynamoDB table", &lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:dynamodb:us-east-1:123456789012:table/t")}}}, "InvalidParameterValueException"},
	} {
		bad.in.FunctionName = aws.String("orders")
		_, err := c.PutFunctionEventInvokeConfig(ctx, bad.in)
		wantError(t, "PutFunctionEventInvokeConfig with "+bad.name, err, bad.code, 400)
	}
	// A bucket on failure is taken.
	must[*lambda.PutFunctionEventInvokeConfigOutput](t, "PutFunctionEventInvokeConfig 1, bucket")(c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("orders"), Qualifier: aws.String("1"),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:s3:::records")}}}))

	// Each operation needs its action.
	reader := lambda.NewFromConfig(s.AWSConfigAs("us-east-1", s.NewUser(t, "reader", "lambda:GetFunctionEventInvokeConfig")))
	must[*lambda.GetFunctionEventInvokeConfigOutput](t, "reader GetFunctionEventInvokeConfig")(reader.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("orders")}))
	_, err = reader.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("orders"), MaximumRetryAttempts: aws.Int32(0)})
	wantError(t, "reader PutFunctionEventInvokeConfig", err, "AccessDeniedException", 403)
	_, err = reader.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String("orders")})
	wantError(t, "reader DeleteFunctionEventInvokeConfig", err, "AccessDeniedException", 403)
	_, err = reader.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("orders")})
	wantError(t, "reader ListFunctionEventInvokeConfigs", err, "AccessDeniedException", 403)

	must[*lambda.DeleteFunctionEventInvokeConfigOutput](t, "DeleteFunctionEventInvokeConfig")(c.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String("orders")}))
	_, err = c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("orders")})
	wantError(t, "GetFunctionEventInvokeConfig after Delete", err, "ResourceNotFoundException", 404)
	// Deleting version 1 deletes its settings.
	must[*lambda.DeleteAliasOutput](t, "DeleteAlias")(c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live")}))
	must[*lambda.DeleteFunctionOutput](t, "DeleteFunction 1")(c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders"), Qualifier: aws.String("1")}))
	list = must[*lambda.ListFunctionEventInvokeConfigsOutput](t, "ListFunctionEventInvokeConfigs at the end")(c.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("orders")}))
	if len(list.FunctionEventInvokeConfigs) != 0 {
		t.Errorf("ListFunctionEventInvokeConfigs after deleting them all = %+v", list.FunctionEventInvokeConfigs)
	}
}

// eventsNamed are the audit events of name, by their invocationRequestId.
func eventsNamed(t *testing.T, s *sealtest.Server, name string) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, ev := range sealtest.AuditEvents(t, s.Dir) {
		if ev["eventName"] == name {
			add, _ := ev["additionalEventData"].(map[string]any)
			id, _ := add["invocationRequestId"].(string)
			out[id] = append(out[id], ev)
		}
	}
	return out
}

// waitFor waits until cond holds, for 20 s at most.
func waitFor(t *testing.T, s *sealtest.Server, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("20 s on, still not: %s\n%s", what, s.Logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func queueEvent(t *testing.T, c *lambda.Client, name string, body []byte) string {
	t.Helper()
	out := must[*lambda.InvokeOutput](t, "Invoke Event "+name)(c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name),
		InvocationType: types.InvocationTypeEvent, Payload: body}))
	id, _ := awsmw.GetRequestIDMetadata(out.ResultMetadata)
	if out.StatusCode != 202 || id == "" {
		t.Fatalf("Invoke Event %s = %d, request %q", name, out.StatusCode, id)
	}
	return id
}

// TestEventInvokeConfigRetries: MaximumRetryAttempts and
// MaximumEventAgeInSeconds bound how often a failing Event invocation
// runs.
func TestEventInvokeConfigRetries(t *testing.T) {
	s := startRunner(t, func(c *config.Config) { c.LambdaAsyncRetryDelay = 200 * time.Millisecond })
	c := s.Lambda()
	exec := newRole(t, s, "orders-exec", "")
	deploy(t, c, "orders", exec.ARN, "", map[string]string{"DB_ENDPOINT": "db"})

	// One retry, not two.
	must[*lambda.PutFunctionEventInvokeConfigOutput](t, "PutFunctionEventInvokeConfig 1 retry")(c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("orders"), MaximumRetryAttempts: aws.Int32(1)}))
	id := queueEvent(t, c, "orders", payload("error"))
	waitFor(t, s, "the one retry's event", func() bool { return len(eventsNamed(t, s, "InvokeRetry")[id]) >= 1 })
	waitFor(t, s, "the event dropped", func() bool { return strings.Count(s.Logs.String(), "failed every attempt") >= 1 })
	if n := len(eventsNamed(t, s, "InvokeRetry")[id]); n != 1 {
		t.Errorf("with MaximumRetryAttempts 1, %d retries", n)
	}
	if _, a := invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")}); a.Count != 3 {
		t.Errorf("the environment served %d invocations, want the Event's 2 attempts and this one", a.Count)
	}

	// None.
	must[*lambda.PutFunctionEventInvokeConfigOutput](t, "PutFunctionEventInvokeConfig 0 retries")(c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("orders"), MaximumRetryAttempts: aws.Int32(0)}))
	id = queueEvent(t, c, "orders", payload("error"))
	waitFor(t, s, "the event dropped", func() bool { return strings.Count(s.Logs.String(), "failed every attempt") >= 2 })
	if n := len(eventsNamed(t, s, "InvokeRetry")[id]); n != 0 {
		t.Errorf("with MaximumRetryAttempts 0, %d retries", n)
	}

	// The maximum age (a minute, which the retry delay scales to 200 ms)
	// comes before the first retry (a minute after the first attempt,
	// scaled alike).
	must[*lambda.PutFunctionEventInvokeConfigOutput](t, "PutFunctionEventInvokeConfig age")(c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("orders"), MaximumEventAgeInSeconds: aws.Int32(60)}))
	id = queueEvent(t, c, "orders", payload("error"))
	waitFor(t, s, "the event dropped for its age", func() bool {
		return strings.Contains(s.Logs.String(), "retry would come after its maximum age")
	})
	if n := len(eventsNamed(t, s, "InvokeRetry")[id]); n != 0 {
		t.Errorf("with MaximumEventAgeInSeconds 60, %d retries", n)
	}
}

// TestEventInvokeDestinations: a function destination gets the record
// of the outcome, invoked as the function's execution role, which must
// be allowed to invoke it (by its own policy or the destination's
// function policy); a destination of a service sealbox does not serve is
// not delivered, and says so in the log and the audit trail.
func TestEventInvokeDestinations(t *testing.T) {
	s := startRunner(t, func(c *config.Config) { c.LambdaAsyncRetryDelay = 200 * time.Millisecond })
	c := s.Lambda()
	sinkExec := newRole(t, s, "sink-exec", "")
	deploy(t, c, "sink", sinkExec.ARN, "", map[string]string{"DB_ENDPOINT": "sink"})
	sinkARN := "arn:aws:lambda:us-east-1:123456789012:function:sink"
	exec := newRole(t, s, "orders-exec", "")
	deploy(t, c, "orders", exec.ARN, "", map[string]string{"DB_ENDPOINT": "db"})
	must[*lambda.PutFunctionEventInvokeConfigOutput](t, "PutFunctionEventInvokeConfig")(c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("orders"), MaximumRetryAttempts: aws.Int32(0),
		DestinationConfig: &types.DestinationConfig{OnSuccess: &types.OnSuccess{Destination: aws.String(sinkARN)},
			OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sqs:us-east-1:123456789012:failed")}}}))
	// The sink's own runs end at its own destination, a queue: each is an
	// AsyncDestination event naming the sink.
	must[*lambda.PutFunctionEventInvokeConfigOutput](t, "PutFunctionEventInvokeConfig sink")(c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("sink"), DestinationConfig: &types.DestinationConfig{OnSuccess: &types.OnSuccess{Destination: aws.String("arn:aws:sqs:us-east-1:123456789012:done")}}}))
	sinkRuns := func() int {
		n := 0
		for _, ev := range sealtest.AuditEvents(t, s.Dir) {
			if p, _ := ev["requestParameters"].(map[string]any); ev["eventName"] == "AsyncDestination" && p["functionName"] == sinkARN {
				n++
			}
		}
		return n
	}
	destination := func(id string) map[string]any {
		var out map[string]any
		waitFor(t, s, "the destination's event", func() bool {
			evs := eventsNamed(t, s, "AsyncDestination")[id]
			if len(evs) > 0 {
				out = evs[0]
			}
			return out != nil
		})
		return out
	}

	// The role may not invoke the sink: not delivered.
	id := queueEvent(t, c, "orders", payload("env"))
	ev := destination(id)
	if add, _ := ev["additionalEventData"].(map[string]any); add["delivered"] != false || add["condition"] != "Success" ||
		!strings.Contains(ev["errorMessage"].(string), "lambda:InvokeFunction") {
		t.Errorf("the refused destination's event: %v", ev)
	}

	// The sink's policy allows the role: delivered, and the sink runs.
	addPermission(t, c, &lambda.AddPermissionInput{FunctionName: aws.String("sink"), StatementId: aws.String("orders"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(exec.ARN)})
	id = queueEvent(t, c, "orders", payload("env"))
	ev = destination(id)
	if add, _ := ev["additionalEventData"].(map[string]any); add["delivered"] != true || add["condition"] != "Success" {
		t.Errorf("the delivered destination's event: %v", ev)
	}
	waitFor(t, s, "the sink's run for the record", func() bool { return sinkRuns() == 1 })
	if n := sinkRuns(); n != 1 {
		t.Errorf("the sink ran %d times, want once: for the delivered record only", n)
	}

	// A failure goes to the queue, which sealbox does not serve.
	id = queueEvent(t, c, "orders", payload("error"))
	ev = destination(id)
	if add, _ := ev["additionalEventData"].(map[string]any); add["delivered"] != false || add["condition"] != "RetriesExhausted" ||
		ev["errorCode"] != "DestinationNotDelivered" || !strings.Contains(ev["errorMessage"].(string), "sqs") {
		t.Errorf("the queue destination's event: %v", ev)
	}
	if !strings.Contains(s.Logs.String(), "was not delivered to its destination: sealbox does not serve sqs") {
		t.Errorf("the log does not warn of the undelivered record")
	}
}

// TestEventRetryOfAFunctionMadeAgain: a retry runs only the function it
// was queued for: deleted and made again under its name, the event is
// dropped.
func TestEventRetryOfAFunctionMadeAgain(t *testing.T) {
	// The retry's delay leaves time to delete and deploy again on a
	// loaded machine; if the retry still comes first it finds no function
	// and is dropped as well: either way it never runs the new one.
	s := startRunner(t, func(c *config.Config) { c.LambdaAsyncRetryDelay = 6 * time.Second })
	c := s.Lambda()
	exec := newRole(t, s, "orders-exec", "")
	deploy(t, c, "orders", exec.ARN, "", map[string]string{"DB_ENDPOINT": "db"})
	id := queueEvent(t, c, "orders", payload("error"))
	waitFor(t, s, "the first attempt's failure", func() bool { return strings.Contains(s.Logs.String(), "it is tried again") })
	must[*lambda.DeleteFunctionOutput](t, "DeleteFunction")(c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders")}))
	deploy(t, c, "orders", exec.ARN, "", map[string]string{"DB_ENDPOINT": "db"})
	waitFor(t, s, "the retry dropped", func() bool {
		logs := s.Logs.String()
		return strings.Contains(logs, "retry was dropped: its function was deleted and another made under its name") ||
			strings.Contains(logs, "retry was dropped: its function is gone")
	})
	if n := len(eventsNamed(t, s, "InvokeRetry")[id]); n != 0 {
		t.Errorf("%d retries recorded against the function made again, want none", n)
	}
	if _, a := invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")}); a.Count != 1 {
		t.Errorf("the function made again served %d invocations, want this one alone", a.Count)
	}
}

// TestEventInvokeDestinationLoop: two functions each the other's
// destination stop, as Lambda's loop detection stops them, after 16
// invocations in a row; the record that would start the 17th is not
// delivered, and says why.
func TestEventInvokeDestinationLoop(t *testing.T) {
	s := startRunner(t, func(c *config.Config) { c.LambdaAsyncRetryDelay = 200 * time.Millisecond })
	c := s.Lambda()
	exec := newRole(t, s, "loop-exec", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:*"}]}`)
	for _, name := range []string{"ping", "pong"} {
		deploy(t, c, name, exec.ARN, "", map[string]string{"DB_ENDPOINT": name})
	}
	for name, other := range map[string]string{"ping": "pong", "pong": "ping"} {
		must[*lambda.PutFunctionEventInvokeConfigOutput](t, "PutFunctionEventInvokeConfig "+name)(c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
			FunctionName: aws.String(name), DestinationConfig: &types.DestinationConfig{OnSuccess: &types.OnSuccess{Destination: aws.String("arn:aws:lambda:us-east-1:123456789012:function:" + other)}}}))
	}
	queueEvent(t, c, "ping", payload("env"))
	count := func() (delivered, refused int, why string) {
		for _, ev := range sealtest.AuditEvents(t, s.Dir) {
			if ev["eventName"] != "AsyncDestination" {
				continue
			}
			if add, _ := ev["additionalEventData"].(map[string]any); add["delivered"] == true {
				delivered++
			} else {
				refused++
				why, _ = ev["errorMessage"].(string)
			}
		}
		return
	}
	waitFor(t, s, "the loop stopped", func() bool { _, refused, _ := count(); return refused > 0 })
	time.Sleep(time.Second) // a run past the stop, if any, would be in by now
	delivered, refused, why := count()
	if delivered != 15 || refused != 1 || !strings.Contains(why, "loop") {
		t.Errorf("the loop: %d records delivered, %d refused (%q); want 15 delivered (16 invocations), then 1 refused for the loop", delivered, refused, why)
	}
}
