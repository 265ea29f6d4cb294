package graph

import (
	"log/slog"

	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"gqlauth/internal/auth"
)

// Options bound what a GraphQL document may ask before it runs, and what
// an answer may hold.
type Options struct {
	Introspection bool
	MaxDepth      int // field nesting (Limits.MaxDepth)
	MaxFields     int // field selections, fragments expanded (Limits.MaxFields)
	MaxComplexity int // values in the data answer, at most (Limits.MaxCost)
	// MaxIntrospectionCost is MaxComplexity for __schema and __type.
	MaxIntrospectionCost int
	MaxTokens            int // parser tokens
	// MaxAuthFields caps the login, register, refresh and changePassword
	// fields (aliases included) in one operation.
	MaxAuthFields int
	// MaxResponseBytes caps the data of one answer (DefaultMaxResponseBytes
	// when 0): a bigger answer is replaced by an error.
	MaxResponseBytes int
	Logger           *slog.Logger
}

// DefaultMaxResponseBytes keeps every answer under 1 MiB with room for its
// errors and envelope.
const DefaultMaxResponseBytes = 900 << 10

// MaxErrors is the most errors one answer carries; the last one then says
// how many were cut.
const MaxErrors = 100

func init() {
	// Documents refused before they run are invalid requests: gqlgen then
	// answers 422 (400 for graphql-response+json), as for parse and
	// validation failures, instead of 200.
	errcode.RegisterErrorType(codeLimitExceeded, errcode.KindProtocol)
	errcode.RegisterErrorType(codeComplexity, errcode.KindProtocol)
	// Only errors returned before execution (introspection refused while
	// off) are classified: a resolver's BAD_REQUEST still answers 200.
	errcode.RegisterErrorType(string(auth.CodeBadRequest), errcode.KindProtocol)
}

// codeLimitExceeded marks documents over the depth, field or
// sensitive-field limits; codeComplexity those over a cost limit.
const (
	codeLimitExceeded = "QUERY_LIMIT_EXCEEDED"
	codeComplexity    = "COMPLEXITY_LIMIT_EXCEEDED"
)

// sensitiveFields are the root mutations that hash a password or spend a
// token; aliases must not multiply them inside one request.
var sensitiveFields = map[string]bool{"login": true, "register": true, "refresh": true, "changePassword": true}

// Handler is the GraphQL HTTP handler (the gqlgen server, whose Use adds
// extensions) with this API's answer rules around it.
type Handler struct {
	*handler.Server
	maxTokens int
}

// NewHandler returns the GraphQL HTTP handler: POST (JSON) and GET (queries
// only) transports, nothing else — no multipart, WebSocket or batching. It
// writes every answer of /graphql itself, transport errors included.
//
// Every document is parsed and measured by one linear walk (fragments
// expanded and memoised, introspection included) before gqlgen validates
// it: validation and gqlgen's own walks are only ever given documents
// within the limits.
func NewHandler(svc *auth.Service, o Options) *Handler {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := Config{Resolvers: &Resolver{Auth: svc}}
	cfg.Directives.Auth = authDirective(svc)
	exec := NewExecutableSchema(cfg)
	srv := handler.New(exec)
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetErrorPresenter(errorPresenter(log))
	srv.SetRecoverFunc(recoverFunc(log))
	if o.MaxTokens > 0 {
		srv.SetParserTokenLimit(o.MaxTokens)
	}
	if o.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		// Suggestions ("did you mean …") would leak the schema anyway.
		srv.SetDisableSuggestion(true)
	}
	maxBytes := o.MaxResponseBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxResponseBytes
	}
	srv.Use(&documentLimit{
		schema: exec.Schema(),
		sizes:  newListSizes(exec.Schema()),
		limits: Limits{
			MaxDepth:             o.MaxDepth,
			MaxFields:            o.MaxFields,
			MaxCost:              o.MaxComplexity,
			MaxIntrospectionCost: o.MaxIntrospectionCost,
		},
		maxTokens:     o.MaxTokens,
		maxAuth:       o.MaxAuthFields,
		introspection: o.Introspection,
		maxBytes:      maxBytes,
	})
	return &Handler{Server: srv, maxTokens: o.MaxTokens}
}

func limitError(msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": codeLimitExceeded}}
}
