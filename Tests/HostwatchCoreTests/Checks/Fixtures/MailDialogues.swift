/// Mail dialogues recorded from postfix 3.7 and dovecot 2.3 (Debian 12) through
/// `CurlMailTransport`, with the AUTH lines already redacted as the transport keeps them.
enum MailDialogues {
    static let submission = """
        < 220 mx.a.test ESMTP
        > EHLO hw.test
        < 250-mx.a.test
        < 250-PIPELINING
        < 250-SIZE 10240000
        < 250-STARTTLS
        < 250-ENHANCEDSTATUSCODES
        < 250 CHUNKING
        > STARTTLS
        < 220 2.0.0 Ready to start TLS
        > EHLO hw.test
        < 250-mx.a.test
        < 250-PIPELINING
        < 250-SIZE 10240000
        < 250-AUTH PLAIN LOGIN
        < 250-ENHANCEDSTATUSCODES
        < 250 CHUNKING
        > AUTH PLAIN [redacted]
        < 235 2.7.0 Authentication successful
        > QUIT
        < 221 2.0.0 Bye
        """

    static let relayRefused = """
        < 220 mx.a.test ESMTP
        > EHLO hw.test
        < 250-mx.a.test
        < 250-STARTTLS
        < 250 CHUNKING
        > STARTTLS
        < 220 2.0.0 Ready to start TLS
        > EHLO hw.test
        < 250-mx.a.test
        < 250 CHUNKING
        > MAIL FROM:<hostwatch-relay-test@example.com>
        < 250 2.1.0 Ok
        > RCPT TO:<hostwatch-relay-test@example.net>
        < 454 4.7.1 <hostwatch-relay-test@example.net>: Relay access denied
        > QUIT
        < 221 2.0.0 Bye
        """

    static let imaps = """
        < * OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready.
        > A001 CAPABILITY
        < * CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN AUTH=LOGIN
        < A001 OK Pre-login capabilities listed, post-login capabilities have more.
        > A002 AUTHENTICATE PLAIN [redacted]
        < * CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT UIDPLUS
        < A002 OK Logged in
        > hw1 EXAMINE INBOX
        < * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)
        < * OK [PERMANENTFLAGS ()] Read-only mailbox.
        < * 3 EXISTS
        < * 0 RECENT
        < * OK [UIDVALIDITY 1795610972] UIDs valid
        < hw1 OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).
        > hw2 LOGOUT
        < * BYE Logging out
        < hw2 OK Logout completed (0.001 + 0.000 secs).
        """

    static let imapStartTLS = """
        < * OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED] Dovecot (Debian) ready.
        > E001 CAPABILITY
        < * CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED
        < E001 OK Pre-login capabilities listed, post-login capabilities have more.
        > E002 STARTTLS
        < E002 OK Begin TLS negotiation now.
        > E003 CAPABILITY
        < * CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN AUTH=LOGIN
        < E003 OK Pre-login capabilities listed, post-login capabilities have more.
        > E004 AUTHENTICATE PLAIN [redacted]
        < E004 OK Logged in
        > hw1 EXAMINE INBOX
        < * 1 EXISTS
        < hw1 OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).
        > hw2 LOGOUT
        < * BYE Logging out
        < hw2 OK Logout completed (0.001 + 0.000 secs).
        """

    static let pop3STLS = """
        < +OK Dovecot (Debian) ready.
        > CAPA
        < +OK
        < CAPA
        < TOP
        < UIDL
        < STLS
        < SASL
        < .
        > STLS
        < +OK Begin TLS negotiation now.
        > CAPA
        < +OK
        < CAPA
        < USER
        < SASL PLAIN LOGIN
        < .
        > AUTH PLAIN
        < +\u{20}
        > [redacted]
        < +OK Logged in.
        > STAT
        < +OK 1 408
        > QUIT
        < +OK Logging out.
        """
}
