package identity

import (
	"encoding/json"
	"time"

	"github.com/sealbox/sealbox/internal/store"
)

// OIDCProvider is the stored record of an IAM OpenID Connect provider: an
// issuer whose tokens AssumeRoleWithWebIdentity accepts for the audiences
// (client ids) listed. Name is the issuer URL without its https:// scheme
// (host, optional port, optional path), as the provider's ARN names it.
type OIDCProvider struct {
	Name        string    `json:"name"`
	Partition   string    `json:"partition"`
	ClientIDs   []string  `json:"clientIds,omitempty"`
	Thumbprints []string  `json:"thumbprints,omitempty"`
	Created     time.Time `json:"created"`
	Tags        []Tag     `json:"tags,omitempty"`
}

// OIDCProviderPrefix is where OpenID Connect provider records live.
const OIDCProviderPrefix = "iam/oidc-provider/"

// OIDCProviderKey is the record key of the provider named name (issuer URL
// without scheme). The name is kept as given: the issuer's iss claim must
// equal it exactly.
func OIDCProviderKey(name string) string { return OIDCProviderPrefix + name }

// ARN is arn:<partition>:iam::<account>:oidc-provider/<name>.
func (p *OIDCProvider) ARN(account string) string {
	return OIDCProviderARN(p.Partition, account, p.Name)
}

// Issuer is the provider's issuer URL, as its tokens' iss claim says it.
func (p *OIDCProvider) Issuer() string { return "https://" + p.Name }

// OIDCProviderARN is the ARN of the provider named name.
func OIDCProviderARN(partition, account, name string) string {
	return "arn:" + partition + ":iam::" + account + ":oidc-provider/" + name
}

// LoadOIDCProvider reads the provider named name; a miss is IsNotFound.
func LoadOIDCProvider(tx store.Tx, name string) (*OIDCProvider, error) {
	raw, err := tx.Get(OIDCProviderKey(name))
	if err != nil {
		return nil, err
	}
	var p OIDCProvider
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// SaveOIDCProvider writes p.
func SaveOIDCProvider(tx store.Tx, p *OIDCProvider) error {
	return store.PutJSON(tx, OIDCProviderKey(p.Name), p)
}

// DeleteOIDCProvider deletes the provider named name.
func DeleteOIDCProvider(tx store.Tx, name string) error {
	return tx.Delete(OIDCProviderKey(name))
}
