package graph

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"gqlauth/internal/auth"
)

// Options bound what a GraphQL document may ask before it runs.
type Options struct {
	Introspection bool
	MaxDepth      int // selection depth
	MaxComplexity int // gqlgen complexity (list fields weigh their limit)
	MaxTokens     int // parser tokens
	// MaxAuthFields caps the login, register, refresh and changePassword
	// fields (aliases included) in one operation.
	MaxAuthFields int
	Logger        *slog.Logger
}

func init() {
	// Documents refused before they run are invalid requests: gqlgen then
	// answers 422 (400 for graphql-response+json), as for parse and
	// validation failures, instead of 200.
	errcode.RegisterErrorType(codeLimitExceeded, errcode.KindProtocol)
	errcode.RegisterErrorType("COMPLEXITY_LIMIT_EXCEEDED", errcode.KindProtocol)
}

// codeLimitExceeded marks documents over the depth or sensitive-field limits.
const codeLimitExceeded = "QUERY_LIMIT_EXCEEDED"

// sensitiveFields are the root mutations that hash a password or spend a
// token; aliases must not multiply them inside one request.
var sensitiveFields = map[string]bool{"login": true, "register": true, "refresh": true, "changePassword": true}

// NewHandler returns the GraphQL HTTP handler: POST (JSON) and GET (queries
// only) transports, nothing else — no multipart, WebSocket or batching.
func NewHandler(svc *auth.Service, o Options) *handler.Server {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := Config{Resolvers: &Resolver{Auth: svc}}
	cfg.Directives.Auth = authDirective(svc)
	// A page of users costs its rows plus its fields: linear, so the
	// largest page (100) with every field fits, and an aliased flood of
	// cheap fields still adds up.
	cfg.Complexity.Query.Users = func(child int, limit *int, _ *int) int {
		n := 50
		if limit != nil && *limit > 0 {
			n = *limit
		}
		return n + child
	}
	srv := handler.New(NewExecutableSchema(cfg))
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
	if o.MaxComplexity > 0 {
		srv.Use(extension.FixedComplexityLimit(o.MaxComplexity))
	}
	srv.Use(shapeLimit{maxDepth: o.MaxDepth, maxAuth: o.MaxAuthFields, introspection: o.Introspection})
	return srv
}

// shapeLimit refuses, before execution, operations nested deeper than
// maxDepth or holding more than maxAuth sensitive root fields.
type shapeLimit struct {
	maxDepth      int
	maxAuth       int
	introspection bool // false: __schema and __type are refused
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = shapeLimit{}

func (shapeLimit) ExtensionName() string                   { return "ShapeLimit" }
func (shapeLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (l shapeLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if l.maxDepth > 0 {
		if d := depth(oc.Operation.SelectionSet, 0, l.maxDepth+1); d > l.maxDepth {
			return limitError(fmt.Sprintf("operation is nested %d levels deep, the limit is %d", d, l.maxDepth))
		}
	}
	if !l.introspection && countRootFields(oc.Operation.SelectionSet, introspectionFields) > 0 {
		// Refused here rather than left to gqlgen's resolver-time error,
		// which the presenter could only tell from its text.
		return &gqlerror.Error{Message: "Introspection is disabled", Extensions: map[string]any{"code": string(auth.CodeBadRequest)}}
	}
	if l.maxAuth > 0 && oc.Operation.Operation == ast.Mutation {
		if n := countRootFields(oc.Operation.SelectionSet, sensitiveFields); n > l.maxAuth {
			return limitError(fmt.Sprintf("operation has %d login, register, refresh or changePassword fields, the limit is %d", n, l.maxAuth))
		}
	}
	return nil
}

func limitError(msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": codeLimitExceeded}}
}

// depth returns the depth of set, stopping once it passes stop (fragment
// cycles are already refused by validation; stop bounds the work anyway).
func depth(set ast.SelectionSet, level, stop int) int {
	if level >= stop {
		return level
	}
	deepest := level
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) == 0 {
				d = level + 1
			} else {
				d = depth(s.SelectionSet, level+1, stop)
			}
		case *ast.InlineFragment:
			d = depth(s.SelectionSet, level, stop)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = depth(s.Definition.SelectionSet, level, stop)
			}
		}
		if d > deepest {
			deepest = d
		}
	}
	return deepest
}

// introspectionFields are the root fields gqlgen serves only with
// introspection on.
var introspectionFields = map[string]bool{"__schema": true, "__type": true}

// countRootFields counts the root fields named in names, looking through
// fragments.
func countRootFields(set ast.SelectionSet, names map[string]bool) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if names[s.Name] {
				n++
			}
		case *ast.InlineFragment:
			n += countRootFields(s.SelectionSet, names)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				n += countRootFields(s.Definition.SelectionSet, names)
			}
		}
	}
	return n
}
