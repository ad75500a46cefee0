"""What a profile's wording can say, in English, French, Spanish, German, Portuguese and Italian.

Phrases are written in plain lower case, accents optional: they are folded as the profile text
is (TR39 skeleton, case and accents aside), and matched whole words only, so "help" never fires
inside "helpful". A phrase is words separated by spaces, where
    `a|b`   is either word,
    `ab*`   is any word that starts with ab (verif* is verify, verifica, vérifiez, verifizieren),
    `~`     is up to three other words (verif* ~ account: "verify your Nike account").
"""

from __future__ import annotations

from enum import StrEnum

_ACCOUNT = "account|accounts|cuenta|compte|konto|conta|profile|perfil|profil|profilo"


class Cue(StrEnum):
    """One kind of evidence in a profile's wording."""

    OFFICIAL = "claims to be official"
    SUPPORT = "claims to be customer support"
    CONTACT = "asks to be contacted in private"
    CREDENTIALS = "asks for credentials"
    PAYMENT = "asks for a payment or card details"
    RECOVERY = "offers to recover or verify an account"
    GIVEAWAY = "promises a giveaway, prize or refund"
    PARODY = "labelled parody"
    FAN = "labelled fan"
    DISCLAIMER = "disclaims the brand"

    @property
    def phishing(self) -> bool:
        return self in (Cue.CREDENTIALS, Cue.PAYMENT, Cue.RECOVERY, Cue.GIVEAWAY)

    @property
    def claim(self) -> bool:
        return self in (Cue.OFFICIAL, Cue.SUPPORT)

    @property
    def label(self) -> bool:
        return self in (Cue.PARODY, Cue.FAN, Cue.DISCLAIMER)


PHRASES: dict[Cue, tuple[str, ...]] = {
    Cue.OFFICIAL: (
        "official", "verified account", "real account",
        "officiel|officielle", "compte certifie|verifie",
        "oficial|oficiales", "cuenta verificada",
        "offiziell*", "verifizierter account",
        "conta verificada",
        "ufficial*", "account verificato",
    ),
    Cue.SUPPORT: (
        "support", "customer support|service|care|success", "help desk|center|centre|line", "helpdesk",
        "here to help", "need help", "tech support",
        "service client|clients|apres vente", "assistance", "sav", "centre d aide", "support client",
        "soporte", "atencion al cliente", "servicio al cliente", "servicio tecnico", "centro de ayuda",
        "kundenservice", "kundendienst", "kundensupport", "kundenbetreuung", "hilfe", "hilfecenter",
        "suporte", "atendimento", "central de ajuda", "sac",
        "assistenza", "servizio clienti", "supporto", "centro assistenza", "centro aiuto",
    ),
    Cue.CONTACT: (
        "dm|dms|inbox|pm", "direct message*", "message us|me", "text us|me", "whatsapp", "telegram",
        "mp", "message prive|prives", "ecrivez nous", "ecris moi", "contactez nous",
        "md", "mensaje directo|privado", "escribenos|escribeme", "mandanos|envianos un mensaje",
        "pn", "privatnachricht*", "direktnachricht*", "schreib* uns|mir",
        "no|pelo|por|via direct", "pv", "mensagem direta|privada", "chama ~ dm|direct|inbox|pv",
        "messaggio privato|diretto", "messaggi privati", "scrivici|scrivimi", "contattaci",
    ),
    Cue.CREDENTIALS: (
        "password*", "passcode", "login details|info|credentials|data", "credential*", "seed|recovery|secret phrase",
        "private key", "2fa|otp|sms|security|verification|login code", "pin code", "one time code",
        "mot de passe", "identifiants", "code de verification|securite|confirmation", "phrase de recuperation",
        "cle privee",
        "contrasena*", "tu|su clave", "clave de acceso|seguridad", "credenciales", "datos de acceso",
        "codigo de verificacion|seguridad|confirmacion", "frase semilla", "frase de recuperacion", "clave privada",
        "passwort*", "kennwort*", "zugangsdaten", "anmeldedaten", "bestatigungscode", "verifizierungscode",
        "sicherheitscode", "privater schlussel", "wiederherstellungsphrase",
        "senha*", "credenciais", "dados de acesso|login", "codigo de verificacao|seguranca|confirmacao",
        "frase de recuperacao", "chave privada",
        "credenziali", "dati di accesso", "codice di verifica|sicurezza|conferma", "frase di recupero",
        "chiave privata",
    ),
    # Requests, not mentions: "send us your card details", never "gift cards in store" or "no fees".
    Cue.PAYMENT: (
        "cvv|cvc", "send|share|enter|give|provide|confirm|dm|update|verify ~ card|bank ~ number|details|info",
        "processing|release|activation|unlock|clearance fee", "pay* ~ gift card*", "wallet address",
        "send ~ btc|bitcoin|eth|usdt|crypto", "send us|me ~ payment|money",
        "envoye*|envoie*|communiqu*|donne*|confirm*|saisi*|indique* ~ coordonnees bancaires",
        "envoye*|envoie*|communiqu*|donne*|confirm*|saisi*|indique* ~ numero de ~ carte",
        "frais de traitement|dossier|deblocage", "envoye*|envoie* ~ bitcoin|btc|usdt|crypto*",
        "envia*|manda*|comparte*|confirma*|ingresa*|proporciona*|facilita* ~ datos bancarios",
        "envia*|manda*|comparte*|confirma*|ingresa*|proporciona*|facilita* ~ numero|datos de ~ tarjeta",
        "comision de liberacion|desbloqueo|tramite", "envia*|manda* ~ bitcoin|btc|usdt|cripto*",
        "send*|schick*|nenn*|bestatig*|gib|geben|teil* ~ bankdaten|kartennummer|kartendaten|kreditkartennummer",
        "bankdaten|kartennummer|kartendaten|kreditkartennummer ~ senden|schicken|bestatigen|angeben",
        "bearbeitungsgebuhr*", "freischaltgebuhr*", "aktivierungsgebuhr*", "send*|schick* ~ bitcoin|btc|usdt|krypto*",
        "envi*|mand*|inform*|confirm*|pass* ~ dados bancarios",
        "envi*|mand*|inform*|confirm*|pass* ~ numero|dados do ~ cartao",
        "taxa de liberacao|processamento|desbloqueio", "envi*|mand* ~ bitcoin|btc|usdt|cripto*",
        "invia*|mand*|comunica*|conferm*|fornisc* ~ dati bancari",
        "invia*|mand*|comunica*|conferm*|fornisc* ~ numero|dati della ~ carta",
        "commissione di sblocco|elaborazione", "invia*|manda* ~ bitcoin|btc|usdt|cripto*",
    ),
    # Verbs, not the adjective: "verify your account" is phishing, "verified account" a claim.
    Cue.RECOVERY: (
        f"recover|recovering|restore|restoring|unlock|unlocking|reactivate|reinstate ~ {_ACCOUNT}",
        f"verify|verifying|confirm|confirming|validate ~ {_ACCOUNT}", f"{_ACCOUNT} recovery|verification|validation",
        f"{_ACCOUNT} ~ suspended|locked|disabled|hacked|compromised|restricted", f"get ~ {_ACCOUNT} back",
        f"recuper* ~ {_ACCOUNT}", f"debloque*|debloquer|reactive*|verifiez|verifier|confirmez|confirmer ~ {_ACCOUNT}",
        f"{_ACCOUNT} ~ suspendu|bloque|pirate|desactive",
        f"desbloque*|desbloquear|reactiva*|verifica|verificar|verifique|confirma|confirmar|valida ~ {_ACCOUNT}",
        f"{_ACCOUNT} ~ suspendida|suspensa|bloqueada|hackeada|desactivada|desativada",
        f"{_ACCOUNT} ~ wiederherstellen|entsperren|verifizieren|bestatigen|freischalten|reaktivieren",
        f"bestatigen|bestatige|verifizieren|verifiziere|entsperren ~ {_ACCOUNT}", f"{_ACCOUNT} ~ gesperrt|gehackt",
        f"sblocc*|verificare|verifica|conferma|confermare|riattiva* ~ {_ACCOUNT}",
        f"{_ACCOUNT} ~ sospeso|bloccato|hackerato|disattivato",
    ),
    Cue.GIVEAWAY: (
        "giveaway*", "give away", "airdrop*", "free crypto", "double your", "claim your|the prize|reward|gift|refund",
        "you won|have won", "refund*",
        "concours", "jeu concours", "rembours*", "vous avez gagne", "cadeau* gratuit*",
        "sorteo*", "reembolso*", "has ganado", "reclama* ~ premio|regalo|reembolso",
        "gewinnspiel*", "verlosung*", "ruckerstattung*", "erstattung*", "sie haben gewonnen", "du hast gewonnen",
        "sorteio*", "voce ganhou", "resgat* ~ premio|presente|reembolso",
        "concorso", "omaggio", "rimbors*", "hai vinto", "riscatt* ~ premio|regalo|rimborso",
    ),
    Cue.PARODY: (
        "parod*", "satir*", "not the real", "fake account", "joke account", "comedy account", "spoof",
        "compte humoristique", "cuenta de humor", "humorkonto", "conta de humor", "account umoristico",
    ),
    Cue.FAN: (
        "fan|fans|fanpage|fanclub|fandom|fanbase", "fan run|made", "fanseite", "fangemeinde", "fa clube",
        "fas", "fa de", "aficionados", "hinchas", "torcida", "tifosi", "tifoso", "supporters club",
    ),
    Cue.DISCLAIMER: (
        "unofficial", "inofficial", "inoffiziell*", "not ~ official|affiliated|associated|endorsed|connected",
"non official|officiel*|ufficial*",
        "pas officiel*", "non affili*", "aucun lien", "sans lien",
        "no ~ oficial|afiliad*", "sin afiliacion|relacion", "ninguna relacion",
        "nicht ~ offiziell*|verbunden|verknupft|angeschlossen", "keine verbindung", "kein offizieller",
        "nao ~ oficial|afiliad*", "sem ~ afiliacao|vinculo|ligacao",
        "non ~ ufficial*|affiliat*", "nessuna affiliazione",
    ),
}  # fmt: skip

# A claim (official, support) preceded by one of these within two words is no claim: "not official".
CLAIM_NEGATORS = (
    "not", "no", "non", "nicht", "kein*", "pas", "nao", "sin", "sem", "senza", "ni", "nor", "never", "isn", "aren",
)  # fmt: skip
# Phishing wording with one of these up to three words before it is a warning, not a request:
# "never share your password", "nunca compartas tu contraseña", "ne partagez jamais votre mot de passe".
WARNING_WORDS = ("never", "beware", "nunca", "jamas", "jamais", "niemals", "nie", "mai")

# Words that, beside the brand in a display name, make it the brand's own service account:
# "NIKE STORE", "PayPal Kundenservice", "Nike Brasil Oficial".
SERVICE_WORDS = frozenset((
    "official", "oficial", "officiel", "officielle", "offiziell", "ufficiale", "verified", "support", "help",
    "helpdesk", "care", "service", "services", "customer", "customers", "client", "clients", "cliente", "clientes",
    "clienti", "kunden", "soporte", "suporte", "supporto", "ayuda", "aide", "hilfe", "ajuda", "aiuto", "assistance",
    "assistenza", "atendimento", "kundenservice", "kundendienst", "servicio", "servico", "servizio", "sav", "sac",
    "desk", "center", "centre", "centro", "zentrum", "team", "equipo", "equipe", "squadra", "store", "shop",
    "tienda", "loja", "negozio", "laden", "boutique", "outlet", "hq", "global", "app", "inc", "corp", "llc", "ltd",
    "gmbh", "sa", "srl", "news", "noticias", "actualites", "nachrichten", "notizie", "noticia", "updates", "deals",
    "ofertas", "offres", "angebote", "promo", "promos", "promozioni", "rewards", "account", "accounts", "cuenta",
    "compte", "konto", "conta", "security", "seguridad", "securite", "sicherheit", "seguranca", "sicurezza",
    "billing", "payments", "pagos", "paiements", "zahlungen", "pagamentos", "pagamenti", "refunds", "reembolsos",
    "remboursements", "verify", "verification", "login", "usa", "us", "uk", "espana", "mexico", "argentina",
    "france", "deutschland", "brasil", "brazil", "italia", "portugal", "international",
))  # fmt: skip
# Words around the brand in a domain label that keep it the brand's: paypal-login, myuber, ubersupport.
DOMAIN_AFFIXES = (
    "support", "help", "helpdesk", "login", "signin", "secure", "security", "verify", "verification", "account",
    "accounts", "official", "app", "online", "web", "my", "get", "the", "pay", "payment", "payments", "billing",
    "refund", "refunds", "reward", "rewards", "promo", "bonus", "gift", "gifts", "giveaway", "store", "shop",
    "outlet", "deals", "sale", "service", "services", "care", "team", "hq", "center", "centre", "claim", "wallet",
    "auth", "update", "recovery", "unlock", "customer", "client", "cliente", "soporte", "suporte", "ayuda", "ajuda",
    "hilfe", "kundenservice", "assistenza", "assistance", "oficial", "officiel", "offiziell", "ufficiale",
    "cuenta", "conta", "compte", "konto", "news", "247", "24", "us", "usa", "uk", "es", "de", "fr", "br", "it", "pt",
)  # fmt: skip
