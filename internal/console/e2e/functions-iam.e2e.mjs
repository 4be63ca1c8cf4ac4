// Functions and IAM in the console: a function's environment as a user that
// may not reveal it and as one that may; IAM users, a role's trust policy,
// and the policy simulator, as admin. The Go test (TestBrowserFunctionsIAM)
// made the function orders (DB_PASSWORD, and DB_HOST a reference) and the
// role exec.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, signIn, shot } from "./lib.mjs";

const secret = "hunter2-orders-planted";
const reference = "{{resolve:ssm:/orders/host}}";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// envCell is the value cell of the environment variable name.
const envCell = (page, name) => page.locator("table.env tr", { has: page.getByRole("cell", { name, exact: true }) }).locator("td").nth(1);

test("a user that may not reveal sees masked values, before and after Reveal", async () => {
  const page = await signIn(browser, "reader");
  await page.getByRole("link", { name: "Functions" }).first().click();
  await page.getByRole("cell", { name: "orders API" }).waitFor();
  await shot(page, "functions");
  await page.getByRole("link", { name: "orders", exact: true }).click();
  assert.equal(await envCell(page, "DB_PASSWORD").innerText(), "{{sealbox:masked}}");
  await page.getByRole("button", { name: "Reveal environment" }).click();
  await page.getByText("The API answered masked values").waitFor();
  assert.match(await page.getByRole("status").innerText(), /sealbox:RevealEnvironment/);
  assert.equal(await envCell(page, "DB_PASSWORD").innerText(), "{{sealbox:masked}}");
  assert.equal(await envCell(page, "DB_HOST").innerText(), "{{sealbox:masked}}");
  assert.ok(!(await page.content()).includes(secret));
  await shot(page, "function");
});

test("a user that may reveal sees values only after Reveal, references as written", async () => {
  const page = await signIn(browser, "revealer");
  await page.goto("/console/functions/orders");
  assert.equal(await envCell(page, "DB_PASSWORD").innerText(), "hidden until you reveal it");
  assert.ok(!(await page.content()).includes(secret));
  await page.getByRole("button", { name: "Reveal environment" }).click();
  await page.getByText("Values as the API answered them").waitFor();
  assert.equal(await envCell(page, "DB_PASSWORD").innerText(), secret);
  assert.equal(await envCell(page, "DB_HOST").innerText(), reference + " reference");
  await shot(page, "function-revealed");
  // Back to the page (a GET): hidden again.
  await Promise.all([page.waitForURL(/\/console\/functions\/orders$/), page.getByRole("link", { name: "Hide the values" }).click()]);
  assert.equal(await envCell(page, "DB_PASSWORD").innerText(), "hidden until you reveal it");
  assert.ok(!(await page.content()).includes(secret));
});

test("IAM users, a role's trust policy and the simulator", async () => {
  const page = await signIn(browser, "admin");
  await page.getByRole("link", { name: "IAM", exact: true }).click();
  await page.getByRole("link", { name: "alice" }).waitFor();
  await shot(page, "iam-users");
  await page.getByRole("link", { name: "alice" }).click();
  await page.getByRole("heading", { name: "Access keys" }).waitFor();
  assert.match(await page.locator("tr", { has: page.getByRole("cell", { name: "Active", exact: true }) }).first().innerText(), /^AKIA/);

  await page.getByRole("link", { name: "Roles" }).click();
  await page.getByRole("link", { name: "exec", exact: true }).click();
  const trust = await page.locator("pre.policy").first().innerText();
  assert.equal(JSON.parse(trust).Statement[0].Principal.Service, "lambda.amazonaws.com");
  assert.match(trust, /\n {6}"Principal": \{/); // indented
  await shot(page, "iam-role");

  await page.getByRole("link", { name: "Policy simulator" }).click();
  await page.getByLabel("Principal").selectOption("arn:aws:iam::123456789012:role/exec");
  await page.getByLabel(/^Actions/).fill("kms:Decrypt\nkms:Encrypt\nkms:ScheduleKeyDeletion");
  await page.getByLabel("Context key 0").fill("kms:EncryptionContext:app");
  await page.getByLabel("Context values 0").fill("billing");
  await Promise.all([page.waitForURL(/\/console\/iam\/simulate\?/), page.getByRole("button", { name: "Simulate" }).click()]);
  const decision = async (action) => page.locator("table.results tr", { has: page.getByRole("cell", { name: action, exact: true }) }).locator(".decision").innerText();
  assert.equal(await decision("kms:Decrypt"), "allowed");
  assert.equal(await decision("kms:Encrypt"), "implicitDeny");
  assert.equal(await decision("kms:ScheduleKeyDeletion"), "explicitDeny");
  assert.match(await page.locator("table.results tr", { has: page.getByRole("cell", { name: "kms:Decrypt", exact: true }) }).innerText(), /decrypt \(role\)/);
  // The form keeps what was asked, and the URL links to the same results.
  assert.equal(await page.getByLabel("Context values 0").inputValue(), "billing");
  await shot(page, "simulator");
  const linked = await signIn(browser, "admin");
  await linked.goto(page.url());
  assert.equal(await linked.locator(".decision").first().innerText(), "allowed");
});
