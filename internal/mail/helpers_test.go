package mail_test

import "gqlauth/internal/config"

func parseSMTP(raw string) (config.SMTP, error) { return config.ParseSMTPURL(raw) }
