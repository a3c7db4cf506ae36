// The console's languages: every text it shows, one dictionary per language. Swedish is the
// default (the users' language); English is one click away, remembered in localStorage and
// applied without a reload.
//
// How a text gets here:
//  - in index.html an element names its key: data-i18n="nav.overview" sets its text,
//    data-i18n-placeholder / data-i18n-title / data-i18n-aria-label set those attributes;
//  - in the scripts t('key', arg0, arg1...) returns the text: "{0}" in it is replaced by arg0
//    and so on, and a function (for plurals) is called with the arguments;
//  - on a change of language every data-i18n element is set again, <html lang> follows, and a
//    'brygga:language' event on document lets the scripts draw what they made themselves.
// Both dictionaries have the same keys (the browser test checks it). Data from the gateway
// (names, the receivers' answers, the gateway's own diagnostics) is shown as it is.
// A new page: its texts as keys of its own prefix ('followup.title') in both dictionaries,
// data-i18n in its HTML, t() in its script; console.js redraws the current page through route()
// on a change of language, so a page that route() draws is redrawn too.
'use strict';

const I18N_KEY = 'brygga.console.language';

const STRINGS = {
  sv: {
    'app.title': 'Brygga – integrationskonsol',
    'app.subtitle': 'integrationskonsol',
    'app.zone': 'Tider: Europe/Stockholm',
    'app.zoneTitle': 'Alla tider som visas är svensk tid',
    'app.logout': 'Logga ut',
    'app.otherLanguage': 'In English',
    'app.otherLanguageTitle': 'Show the console in English',
    'app.signedInAs': 'Inloggad som {0}',
    'app.more': 'Visa fler',
    'app.cancel': 'Avbryt',
    'app.gatewayAnswered': 'Gatewayen svarade {0}',

    'nav.overview': 'Översikt',
    'nav.messages': 'Meddelanden',
    'nav.deadLetters': 'Ej levererbara',
    'nav.destinations': 'Mottagare',
    'nav.refusals': 'Nekade anrop',
    'nav.audit': 'Granskningslogg',

    'health.title': 'Mottagare som behöver åtgärdas',
    'health.ok': 'ok',
    'health.paused': 'pausad',
    'health.failing': 'leveransfel',
    'health.dead-letters': 'har ej levererbara',
    'health.since': 'sedan {0}',
    'health.pausedBy': 'pausad av {0}',
    'health.failures': (n, status) => (n === 1 ? '1 misslyckat försök' : n + ' misslyckade försök i rad') +
      ', det senaste ' + (status ? 'HTTP ' + status : 'utan svar'),
    'health.token': 'tokentjänsten: {0}',
    'health.dead': (n) => (n === 1 ? '1 ej levererbart meddelande' : n + ' ej levererbara meddelanden') + ' att se över',

    'login.title': 'Logga in',
    'login.intro': 'Konsolen är till för integrationsteamet. Logga in med teamets åtkomstnyckel, eller öppna ' +
      'sidan över HTTPS med integrationsteamets klientcertifikat installerat i webbläsaren (då loggas du in ' +
      'automatiskt).',
    'login.token': 'Åtkomstnyckel',
    'login.tokenPlaceholder': 'klistra in nyckeln här',
    'login.button': 'Logga in',
    'login.hintBefore': 'Efter snabbstarten är integrationsteamets utvecklingsnyckel',
    'login.hintAfter': '. Nyckeln sparas bara i den här webbläsarfliken och glöms bort när du stänger den.',
    'login.forbidden': 'Den här identiteten får inte använda konsolen: {0}',
    'login.wrongToken': 'Inloggningen misslyckades: nyckeln godtogs inte (felskriven, eller inte en klient hos den ' +
      'här gatewayen).',
    'login.failed': 'Inloggningen misslyckades: {0}',

    'overview.title': 'Meddelandeflöde',
    'overview.hint': 'Antal under vald period, uppdaterade när de ändras.',
    'overview.window': 'Period',
    'overview.window300': 'senaste 5 minuterna',
    'overview.window3600': 'senaste timmen',
    'overview.window86400': 'senaste dygnet',
    'overview.byTenant': 'Per kommun/avsändare',
    'overview.charts': 'Under perioden',
    'overview.byDestination': 'Per mottagare',
    'overview.gateways': 'Gatewayer',
    'overview.legend': 'Vad statusarna betyder',
    'overview.updated': 'Uppdaterad {0}',
    'overview.live': '(direktuppdaterad)',
    'overview.polling': '(uppdateras varannan sekund)',
    'overview.noMessages': 'Inga meddelanden under perioden.',
    'overview.thisOne': ' (den här)',
    'overview.alive': '{0} av {1} i drift',
    'overview.countsFailed': 'Kunde inte hämta siffrorna: {0}',
    'gateway.alive': 'i drift',
    'gateway.silent': 'tyst',
    'destination.active': 'aktiv',
    'destination.paused': 'pausad',

    'col.tenant': 'Avsändare (organisation)',
    'col.received': 'Mottagna',
    'col.accepted': 'Godtagna',
    'col.declined': 'Utanför öppettid',
    'col.rejected': 'Avvisade',
    'col.delivered': 'Levererade',
    'col.retried': 'Nya försök',
    'col.deadLettered': 'Blev ej levererbara',
    'col.lastMessage': 'Senaste meddelande',
    'col.silentFor': 'Tyst i',
    'col.destination': 'Mottagare',
    'col.state': 'Läge',
    'col.waitingNow': 'Väntar nu',
    'col.oldestWaiting': 'Äldsta väntande',
    'col.deadNow': 'Ej levererbara nu',
    'col.gateway': 'Gateway (värd:process)',
    'col.version': 'Version',
    'col.started': 'Startad',
    'col.lastSeen': 'Senast sedd',
    'col.message': 'Meddelande',
    'col.receivedAt': 'Mottaget',
    'col.sender': 'Avsändare',
    'col.kind': 'Typ',
    'col.patient': 'Patient',
    'col.status': 'Status',
    'col.reason': 'Orsak',
    'col.requestId': 'Request-id',
    'col.delivery': 'Leverans',
    'col.attempts': 'Försök',
    'col.when': 'När',
    'col.answer': 'Mottagarens svar',
    'col.time': 'Tid',
    'col.step': 'Steg',
    'col.httpStatus': 'HTTP-status',
    'col.detail': 'Detalj',
    'col.died': 'Gav upp',
    'col.waiting': 'Väntar',
    'col.queueLimit': 'Kögräns',
    'col.request': 'Anrop',
    'col.source': 'Källadress',

    'chart.received': 'Meddelanden per minut, per kommun',
    'chart.latency': 'Leveranstid, från mottaget till kvitterat (p50, p95)',
    'chart.depth': 'Kölängd per mottagare',
    'chart.perMinute': 'per minut',
    'chart.seconds': 'sekunder',
    'chart.waiting': 'väntande',

    'status.rejected': 'avvisad',
    'status.accepted': 'godtagen',
    'status.declined': 'utanför öppettid',
    'status.queued': 'i kö',
    'status.retrying': 'nytt försök',
    'status.delivered': 'levererad',
    'status.dead': 'ej levererbar',
    'status.held': 'spärrad',
    'statusText.rejected': 'Brygga avvisade meddelandet (ogiltigt, inte tillåtet eller i konflikt); inget sparades ' +
      'eller skickades vidare. Avsändaren fick veta varför.',
    'statusText.accepted': 'Sparat; inget behövde skickas vidare.',
    'statusText.declined': 'Mottaget och besvarat med ett nej: en konsultationsförfrågan utanför öppettid (uppgiften ' +
      'avvisas och avsändaren hänvisas till jouren).',
    'statusText.queued': 'Sparat och väntar på sitt första leveransförsök.',
    'statusText.retrying': 'Ett leveransförsök misslyckades (mottagaren var inte tillgänglig eller upptagen); ' +
      'Brygga försöker igen automatiskt.',
    'statusText.delivered': 'Vidareskickat och kvitterat av mottagaren.',
    'statusText.dead': 'Ej levererbart: mottagaren avvisade det, eller Brygga gav upp efter för många försök. Inget ' +
      'mer händer förrän någon skickar om det.',
    'statusText.held': 'Stoppat av en spärr: patienten har spärrat den mottagande parten, så Brygga skickade det ' +
      'inte. Innehållet visas inte. Integrationsteamet släpper det uttryckligen.',

    'kind.enrollment': 'inskrivning',
    'kind.discharge': 'utskrivning',
    'kind.consultation': 'konsultation',
    'kind.visit': 'besök',
    'kind.visit note': 'besöksanteckning',
    'kind.care plan': 'vårdplan',
    'kind.admission': 'inläggning',

    'search.title': 'Sök meddelanden',
    'search.patient': 'Patient',
    'search.patientPlaceholder': 'personnummer, t.ex. 19121212-1212',
    'search.status': 'Status',
    'search.any': 'alla',
    'search.kind': 'Typ',
    'search.tenant': 'Avsändare (organisation)',
    'search.tenantPlaceholder': 't.ex. kungsbacka',
    'search.type': 'Resurstyp',
    'search.typePlaceholder': 't.ex. EpisodeOfCare',
    'search.from': 'Mottaget från',
    'search.to': 'Mottaget till',
    'search.timeTitle': 'ÅÅÅÅ-MM-DD eller ÅÅÅÅ-MM-DD TT:MM, svensk tid',
    'search.requestId': 'Request-id',
    'search.button': 'Sök',
    'search.clear': 'Rensa',
    'search.hint': 'En sökning på personnummer slår upp patienten i Brygga; själva numret sparas inte i någon ' +
      'logg. Varje sökning registreras i granskningsloggen.',
    'search.badTime': '”{0}” ska vara ÅÅÅÅ-MM-DD eller ÅÅÅÅ-MM-DD TT:MM (svensk tid)',
    'search.shown': (n) => (n === 1 ? '1 meddelande visas' : n + ' meddelanden visas') + ', nyaste först.',
    'search.none': 'Inga meddelanden hittades.',
    'search.moreExist': ' Det kan finnas fler: tryck på ”Visa fler”.',
    'search.failed': 'Sökningen misslyckades: {0}',
    'search.noPatient': 'Ingen patient med den identiteten finns i Brygga.',
    'search.severalPatients': 'Flera patienter har den identiteten; visar {0}.',

    'message.title': 'Meddelande',
    'message.back': '← tillbaka till sökningen',
    'message.delivery': 'Leverans till mottagaren',
    'message.deliveryHint': 'Varje vidareskickad kopia av meddelandet (en per mottagare, med meddelandets nummer och ' +
      'mottagaren) och vad mottagaren svarade senast.',
    'message.steps': 'Steg',
    'message.audit': 'Granskningsposter',
    'message.content': 'Innehåll',
    'message.contentHint': 'Det vidareskickade innehållet innehåller patientuppgifter. Att öppna det registreras i ' +
      'granskningsloggen med din identitet.',
    'message.showContent': 'Visa vidareskickat innehåll',
    'message.nothingKept': 'Inget vidareskickat finns kvar (inget att skicka, eller raderat efter leverans).',
    'message.loadFailed': 'Kunde inte hämta meddelande {0}: {1}',
    'fact.received': 'Mottaget',
    'fact.answered': 'Besvarat',
    'fact.sender': 'Avsändare',
    'fact.senderValue': '{0} (organisation {1})',
    'fact.interaction': 'Interaktion',
    'fact.kind': 'Typ',
    'fact.notHomeCare': '(inget hemsjukvårdsmeddelande)',
    'fact.resourceTypes': 'Resurstyper',
    'fact.patient': 'Patient',
    'fact.none': '(ingen)',
    'fact.httpStatus': 'HTTP-status till avsändaren',
    'fact.outcome': 'Utfall',
    'fact.mappingVersion': 'Mappningsversion',
    'fact.requestId': 'Request-id',
    'fact.sha256': 'SHA-256 för anropet',
    'step.inbound': 'mottaget från avsändaren',
    'step.outbound': 'leveransförsök',
    'step.noAnswer': 'inget svar',
    'auditRecord.line': 'Post {0}, {1}: {2} ({3}), {4}',
    'auditRecord.outcome.0': 'lyckades',
    'auditRecord.outcome.4': 'mindre fel',
    'auditRecord.outcome.8': 'allvarligt fel',
    'auditRecord.outcome.12': 'kritiskt fel',
    'auditRecord.action.C': 'skapa',
    'auditRecord.action.R': 'läsa',
    'auditRecord.action.U': 'uppdatera',
    'auditRecord.action.D': 'radera',
    'auditRecord.action.E': 'utföra',
    'payload.confirmTitle': 'Visa patientinnehåll?',
    'payload.confirmOk': 'Visa innehållet',
    'payload.nothingKept': 'Inget finns kvar: antingen skickades inget vidare, eller så raderades innehållet efter ' +
      'leverans (gallring).',
    'payload.failed': 'Kunde inte hämta innehållet: {0}',

    'replay.button': 'Skicka om',
    'replay.title': 'Skicka om meddelande {0}?',
    'replay.text': 'Brygga skickar meddelandet till {0} igen, precis som förut. Se till att orsaken till felet är ' +
      'åtgärdad.',
    'replay.ok': 'Skicka om',
    'replay.forceTitle': 'Skicka om ändå?',
    'replay.forceText': 'Ett nyare meddelande för samma patient har levererats sedan dess. Skickas det här äldre om ' +
      'kan det skriva över nyare uppgifter hos {0}. Fortsätt bara om du är säker.',
    'replay.forceOk': 'Skicka om ändå',
    'replay.done': 'Meddelande {0} ligger i kön igen: Brygga skickar det till {1} nu.',
    'replay.refused': 'Omsändningen nekades: {0}',

    'dead.title': 'Ej levererbara meddelanden',
    'dead.hint': 'Meddelanden som Brygga gav upp att leverera: mottagaren avvisade dem, eller så misslyckades de ' +
      'för många gånger. Åtgärda orsaken (se mottagarens svar) och skicka sedan om: Brygga skickar samma meddelande ' +
      'igen.',
    'dead.none': 'Inga ej levererbara meddelanden. Bra.',
    'dead.failed': 'Kunde inte hämta de ej levererbara meddelandena: {0}',

    'destinations.title': 'Mottagare',
    'destinations.hint': 'Systemen som Brygga skickar vidare till. Till en pausad mottagare skickas inget (meddelandena ' +
      'väntar i kön) tills du återupptar den, t.ex. under mottagarens underhåll.',
    'destinations.pause': 'Pausa',
    'destinations.resume': 'Återuppta',
    'destinations.pauseTitle': 'Pausa {0}?',
    'destinations.resumeTitle': 'Återuppta {0}?',
    'destinations.pauseText': 'Brygga slutar skicka till {0}. Meddelandena väntar i kön tills du återupptar; ' +
      'avsändare nekas när kön är full.',
    'destinations.resumeText': 'Brygga börjar skicka de väntande meddelandena till {0} igen.',
    'destinations.failed': 'Kunde inte hämta mottagarna: {0}',
    'destinations.changeFailed': 'Kunde inte ändra {0}: {1}',

    'refusals.title': 'Nekade anrop',
    'refusals.hintBefore': 'Anrop som Brygga nekade innan de nådde FHIR-API:t eller en annan tjänst: ingen sådan ' +
      'adress, en metod som adressen inte tar emot, en kropp över storleksgränsen, inga giltiga ' +
      'inloggningsuppgifter. De finns bara i den här gatewayens minne (de ',
    'refusals.hintMiddle': ' senaste), sparas aldrig och försvinner vid en omstart. Avvisade meddelanden som nådde ' +
      'FHIR-API:t finns under ',
    'refusals.hintAfter': ' med status avvisad.',
    'refusals.total': '{0} nekade sedan gatewayen startade.',
    'refusals.notIdentified': 'ej identifierad',
    'refusals.none': 'Inget nekat.',
    'refusals.failed': 'Kunde inte hämta de nekade anropen: {0}',

    'audit.title': 'Granskningslogg',
    'audit.hint': 'Varje åtkomst och varje leverans skrivs till en manipuleringssäker granskningslogg. Brygga ' +
      'signerar regelbundet en kontrollpunkt av den; poster efter den senaste kontrollpunkten skyddas bara av ' +
      'hashkedjan fram till nästa.',
    'audit.records': 'Granskningsposter',
    'audit.checkpoint': 'Senaste signerade kontrollpunkt',
    'audit.checkpointValue': 'omfattar {0} poster, signerad {1}',
    'audit.noCheckpoint': 'ingen än',
    'audit.age': 'Kontrollpunktens ålder',
    'audit.notCheckpointed': 'Poster utan kontrollpunkt än',
    'audit.rootHash': 'Rothash',
    'audit.failed': 'Kunde inte hämta granskningsloggens status: {0}',

    'time.neverSent': 'har aldrig skickat',
    'time.underMinute': 'under en minut',

    'followup.title': 'Brygga uppföljning',
    'followup.subtitle': 'uppföljning av läkarmedverkan i hemsjukvården',
    'followup.loginTitle': 'Logga in',
    'followup.loginText': 'Sidan visar uppföljningens siffror, aldrig patientuppgifter. Logga in med verksamhetsledningens åtkomsttoken.',
    'followup.tokenLabel': 'Åtkomsttoken',
    'followup.loginButton': 'Logga in',
    'followup.yearLabel': 'År',
    'followup.show': 'Visa',
    'followup.download': 'Ladda ner CSV',
    'followup.notAllowed': 'Den här inloggningen får inte se uppföljningen.',
    'followup.loadFailed': 'Siffrorna kunde inte hämtas: {0}',
    'followup.smallCounts': 'I nedladdade tabeller visas antal från 1 till 4 som "<5".',
    'followup.section.contacts': 'Läkarkontakter per månad och serviceställe',
    'followup.section.patients': 'Inskrivna patienter och korttidsboende',
    'followup.section.requests': 'Konsultationsförfrågningar inom och utanför öppettid',
    'followup.section.readmissions': 'Återinskrivning inom 30 dagar vid hjärtsvikt',
    'followup.column.month': 'Månad',
    'followup.column.servicePoint': 'Serviceställe',
    'followup.column.homeVisit': 'Hembesök',
    'followup.column.consultation': 'Telefon- och videokonsultationer',
    'followup.column.enrolled': 'Inskrivna patienter',
    'followup.column.newEnrollments': 'Nya inskrivningar',
    'followup.column.shortTerm': 'Patienter på korttidsboende',
    'followup.column.newShortTerm': 'Nya korttidsvistelser',
    'followup.column.withinHours': 'Inom öppettid',
    'followup.column.outsideHours': 'Utanför öppettid',
    'followup.column.answered': 'Besvarade',
    'followup.column.declined': 'Avböjda',
    'followup.column.medianMinutes': 'Median minuter till läkarbesök',
    'followup.column.discharges': 'Utskrivningar',
    'followup.column.readmitted': 'Återinskrivna inom 30 dagar',
    'followup.column.rate': 'Andel',
  },

  en: {
    'app.title': 'Brygga integration console',
    'app.subtitle': 'integration console',
    'app.zone': 'Times: Europe/Stockholm',
    'app.zoneTitle': 'Every time shown is Swedish time',
    'app.logout': 'Log out',
    'app.otherLanguage': 'På svenska',
    'app.otherLanguageTitle': 'Visa konsolen på svenska',
    'app.signedInAs': 'Logged in as {0}',
    'app.more': 'Show more',
    'app.cancel': 'Cancel',
    'app.gatewayAnswered': 'The gateway answered {0}',

    'nav.overview': 'Overview',
    'nav.messages': 'Messages',
    'nav.deadLetters': 'Dead letters',
    'nav.destinations': 'Destinations',
    'nav.refusals': 'Refused requests',
    'nav.audit': 'Audit log',

    'health.title': 'Destinations that need attention',
    'health.ok': 'ok',
    'health.paused': 'paused',
    'health.failing': 'failing',
    'health.dead-letters': 'holding dead letters',
    'health.since': 'since {0}',
    'health.pausedBy': 'paused by {0}',
    'health.failures': (n, status) => n + ' failed attempt' + (n === 1 ? '' : 's') + ' in a row, the last ' +
      (status ? 'HTTP ' + status : 'unanswered'),
    'health.token': 'the token endpoint: {0}',
    'health.dead': (n) => n + ' dead letter' + (n === 1 ? '' : 's') + ' to look at',

    'login.title': 'Log in',
    'login.intro': 'The console is for the integration team. Log in with your team\'s access token, or open this ' +
      'page over HTTPS with the integration team\'s client certificate installed in your browser (then you are ' +
      'logged in automatically).',
    'login.token': 'Access token',
    'login.tokenPlaceholder': 'paste the token here',
    'login.button': 'Log in',
    'login.hintBefore': 'After the Quickstart, the development token of the integration team is',
    'login.hintAfter': '. The token is kept only in this browser tab and is forgotten when you close it.',
    'login.forbidden': 'This identity may not use the console: {0}',
    'login.wrongToken': 'Login failed: the token was not accepted (mistyped, or not a client of this gateway).',
    'login.failed': 'Login failed: {0}',

    'overview.title': 'Message flow',
    'overview.hint': 'Counts over the chosen period, kept up to date as they change.',
    'overview.window': 'Period',
    'overview.window300': 'last 5 minutes',
    'overview.window3600': 'last hour',
    'overview.window86400': 'last 24 hours',
    'overview.byTenant': 'By municipality / sender',
    'overview.charts': 'Over the period',
    'overview.byDestination': 'By destination',
    'overview.gateways': 'Gateways',
    'overview.legend': 'What the statuses mean',
    'overview.updated': 'Updated {0}',
    'overview.live': '(live)',
    'overview.polling': '(updated every 2 seconds)',
    'overview.noMessages': 'No messages in this period.',
    'overview.thisOne': ' (this one)',
    'overview.alive': '{0} of {1} alive',
    'overview.countsFailed': 'Could not load the counts: {0}',
    'gateway.alive': 'alive',
    'gateway.silent': 'silent',
    'destination.active': 'active',
    'destination.paused': 'paused',

    'col.tenant': 'Sender (tenant)',
    'col.received': 'Received',
    'col.accepted': 'Accepted',
    'col.declined': 'Declined (out of hours)',
    'col.rejected': 'Rejected',
    'col.delivered': 'Delivered',
    'col.retried': 'Retried attempts',
    'col.deadLettered': 'Dead-lettered',
    'col.lastMessage': 'Last message',
    'col.silentFor': 'Silent for',
    'col.destination': 'Destination',
    'col.state': 'State',
    'col.waitingNow': 'Waiting now',
    'col.oldestWaiting': 'Oldest waiting',
    'col.deadNow': 'Dead letters now',
    'col.gateway': 'Gateway (host:process)',
    'col.version': 'Version',
    'col.started': 'Started',
    'col.lastSeen': 'Last seen',
    'col.message': 'Message',
    'col.receivedAt': 'Received',
    'col.sender': 'Sender',
    'col.kind': 'Kind',
    'col.patient': 'Patient',
    'col.status': 'Status',
    'col.reason': 'Reason',
    'col.requestId': 'Request id',
    'col.delivery': 'Delivery',
    'col.attempts': 'Attempts',
    'col.when': 'When',
    'col.answer': 'Receiver\'s answer',
    'col.time': 'Time',
    'col.step': 'Step',
    'col.httpStatus': 'HTTP status',
    'col.detail': 'Detail',
    'col.died': 'Died',
    'col.waiting': 'Waiting',
    'col.queueLimit': 'Queue limit',
    'col.request': 'Request',
    'col.source': 'Source address',

    'chart.received': 'Messages per minute, by municipality',
    'chart.latency': 'Delivery time, received to acknowledged (p50, p95)',
    'chart.depth': 'Queue depth, by destination',
    'chart.perMinute': 'per minute',
    'chart.seconds': 'seconds',
    'chart.waiting': 'waiting',

    'status.rejected': 'rejected',
    'status.accepted': 'accepted',
    'status.declined': 'out of hours',
    'status.queued': 'queued',
    'status.retrying': 'retrying',
    'status.delivered': 'delivered',
    'status.dead': 'dead letter',
    'status.held': 'held',
    'statusText.rejected': 'Brygga refused the message (invalid, not allowed or conflicting); nothing was stored or ' +
      'forwarded. The sender was told why.',
    'statusText.accepted': 'Stored; nothing had to be forwarded.',
    'statusText.declined': 'Accepted and answered with a refusal: a consultation request out of service hours (the ' +
      'Task is rejected and the sender told to use the on-call service).',
    'statusText.queued': 'Stored and waiting for its first delivery attempt.',
    'statusText.retrying': 'A delivery attempt failed (receiver unavailable or busy); Brygga tries again ' +
      'automatically.',
    'statusText.delivered': 'Forwarded and acknowledged by the receiver.',
    'statusText.dead': 'Dead letter: the receiver refused it, or Brygga gave up after too many attempts. Nothing ' +
      'more happens until someone replays it.',
    'statusText.held': 'Held by a block (spärr): the patient has blocked the receiving party, so Brygga did not send ' +
      'it. Its content is not shown. The integration team releases it explicitly.',

    'kind.enrollment': 'enrollment',
    'kind.discharge': 'discharge',
    'kind.consultation': 'consultation',
    'kind.visit': 'visit',
    'kind.visit note': 'visit note',
    'kind.care plan': 'care plan',
    'kind.admission': 'admission',

    'search.title': 'Find messages',
    'search.patient': 'Patient',
    'search.patientPlaceholder': 'personnummer, e.g. 19121212-1212',
    'search.status': 'Status',
    'search.any': 'any',
    'search.kind': 'Kind',
    'search.tenant': 'Sender (tenant)',
    'search.tenantPlaceholder': 'e.g. kungsbacka',
    'search.type': 'Resource type',
    'search.typePlaceholder': 'e.g. EpisodeOfCare',
    'search.from': 'Received from',
    'search.to': 'Received to',
    'search.timeTitle': 'YYYY-MM-DD or YYYY-MM-DD HH:MM, Swedish time',
    'search.requestId': 'Request id',
    'search.button': 'Search',
    'search.clear': 'Clear',
    'search.hint': 'Searching by personnummer looks the patient up in Brygga; the number itself is not kept in any ' +
      'log. Every search is recorded in the audit log.',
    'search.badTime': '"{0}" must be YYYY-MM-DD or YYYY-MM-DD HH:MM (Swedish time)',
    'search.shown': (n) => n + ' message' + (n === 1 ? '' : 's') + ' shown, newest first.',
    'search.none': 'No messages found.',
    'search.moreExist': ' More may exist: press "Show more".',
    'search.failed': 'Search failed: {0}',
    'search.noPatient': 'No patient with that identifier is stored in Brygga.',
    'search.severalPatients': 'Several patients have that identifier; showing {0}.',

    'message.title': 'Message',
    'message.back': '← back to the search',
    'message.delivery': 'Delivery to the receiver',
    'message.deliveryHint': 'Each forwarded copy of the message (one per receiver, named by the message\'s number and ' +
      'the receiver) and what the receiver answered last.',
    'message.steps': 'Steps',
    'message.audit': 'Audit records',
    'message.content': 'Content',
    'message.contentHint': 'The forwarded content contains patient data. Opening it is recorded in the audit log ' +
      'with your identity.',
    'message.showContent': 'Show forwarded content',
    'message.nothingKept': 'Nothing forwarded is kept (nothing to forward, or deleted after delivery).',
    'message.loadFailed': 'Could not load message {0}: {1}',
    'fact.received': 'Received',
    'fact.answered': 'Answered',
    'fact.sender': 'Sender',
    'fact.senderValue': '{0} (tenant {1})',
    'fact.interaction': 'Interaction',
    'fact.kind': 'Kind',
    'fact.notHomeCare': '(not a home-care message)',
    'fact.resourceTypes': 'Resource types',
    'fact.patient': 'Patient',
    'fact.none': '(none)',
    'fact.httpStatus': 'HTTP status to the sender',
    'fact.outcome': 'Outcome',
    'fact.mappingVersion': 'Mapping version',
    'fact.requestId': 'Request id',
    'fact.sha256': 'SHA-256 of the request',
    'step.inbound': 'received from sender',
    'step.outbound': 'delivery attempt',
    'step.noAnswer': 'no answer',
    'auditRecord.line': 'Record {0}, {1}: {2} ({3}), {4}',
    'auditRecord.outcome.0': 'success',
    'auditRecord.outcome.4': 'minor failure',
    'auditRecord.outcome.8': 'serious failure',
    'auditRecord.outcome.12': 'major failure',
    'auditRecord.action.C': 'create',
    'auditRecord.action.R': 'read',
    'auditRecord.action.U': 'update',
    'auditRecord.action.D': 'delete',
    'auditRecord.action.E': 'execute',
    'payload.confirmTitle': 'Show patient content?',
    'payload.confirmOk': 'Show content',
    'payload.nothingKept': 'Nothing is kept: either nothing was forwarded or the forwarded content was deleted after ' +
      'delivery (retention).',
    'payload.failed': 'Could not load the content: {0}',

    'replay.button': 'Replay',
    'replay.title': 'Replay message {0}?',
    'replay.text': 'Brygga will send this message to {0} again, exactly as before. Make sure the cause of the ' +
      'failure is fixed.',
    'replay.ok': 'Replay',
    'replay.forceTitle': 'Replay anyway?',
    'replay.forceText': 'A newer message for the same patient has been delivered since. Replaying this older one ' +
      'may overwrite newer data at {0}. Only continue if you are sure.',
    'replay.forceOk': 'Replay anyway',
    'replay.done': 'Message {0} is back in the queue: Brygga sends it to {1} again now.',
    'replay.refused': 'Replay refused: {0}',

    'dead.title': 'Dead letters',
    'dead.hint': 'Messages Brygga gave up delivering: the receiver refused them, or they failed too many times. Fix ' +
      'the cause (see the receiver\'s answer), then replay: Brygga sends the same message again.',
    'dead.none': 'No dead letters. Good.',
    'dead.failed': 'Could not load the dead letters: {0}',

    'destinations.title': 'Destinations',
    'destinations.hint': 'The systems Brygga forwards to. Pausing a destination stops delivery to it (messages wait ' +
      'in the queue) until you resume it, e.g. during the receiver\'s maintenance.',
    'destinations.pause': 'Pause',
    'destinations.resume': 'Resume',
    'destinations.pauseTitle': 'Pause {0}?',
    'destinations.resumeTitle': 'Resume {0}?',
    'destinations.pauseText': 'Brygga stops sending to {0}. Messages wait in the queue until you resume; senders are ' +
      'refused when the queue is full.',
    'destinations.resumeText': 'Brygga starts sending the waiting messages to {0} again.',
    'destinations.failed': 'Could not load the destinations: {0}',
    'destinations.changeFailed': 'Could not change {0}: {1}',

    'refusals.title': 'Refused requests',
    'refusals.hintBefore': 'Requests Brygga refused before they reached the FHIR API or another service: no such ' +
      'address, a method the address does not take, a body over the size limit, no valid credentials. They are ' +
      'kept only in this gateway\'s memory (the newest ',
    'refusals.hintMiddle': '), never stored, and are gone after a restart. Refused messages that reached the FHIR ' +
      'API are under ',
    'refusals.hintAfter': ' with status rejected.',
    'refusals.total': '{0} refused since this gateway started.',
    'refusals.notIdentified': 'not identified',
    'refusals.none': 'Nothing refused.',
    'refusals.failed': 'Could not load the refused requests: {0}',

    'audit.title': 'Audit log',
    'audit.hint': 'Every access and every delivery is written to a tamper-evident audit log. Brygga regularly signs ' +
      'a checkpoint of it; records after the latest checkpoint are protected by the hash chain only until the next ' +
      'one.',
    'audit.records': 'Audit records',
    'audit.checkpoint': 'Latest signed checkpoint',
    'audit.checkpointValue': 'covers {0} records, signed {1}',
    'audit.noCheckpoint': 'none yet',
    'audit.age': 'Age of the checkpoint',
    'audit.notCheckpointed': 'Records not yet checkpointed',
    'audit.rootHash': 'Root hash',
    'audit.failed': 'Could not load the audit status: {0}',

    'time.neverSent': 'never sent',
    'time.underMinute': 'under a minute',

    'followup.title': 'Brygga follow-up',
    'followup.subtitle': 'follow-up of physician participation in home health care',
    'followup.loginTitle': 'Sign in',
    'followup.loginText': 'This page shows the follow-up figures, never patient data. Sign in with service management\'s access token.',
    'followup.tokenLabel': 'Access token',
    'followup.loginButton': 'Sign in',
    'followup.yearLabel': 'Year',
    'followup.show': 'Show',
    'followup.download': 'Download CSV',
    'followup.notAllowed': 'This login may not see the follow-up.',
    'followup.loadFailed': 'The figures could not be fetched: {0}',
    'followup.smallCounts': 'In downloaded tables, counts from 1 to 4 show as "<5".',
    'followup.section.contacts': 'Physician contacts per month and service point',
    'followup.section.patients': 'Enrolled patients and short-term care',
    'followup.section.requests': 'Consultation requests within and outside service hours',
    'followup.section.readmissions': 'Readmission within 30 days in heart failure',
    'followup.column.month': 'Month',
    'followup.column.servicePoint': 'Service point',
    'followup.column.homeVisit': 'Home visits',
    'followup.column.consultation': 'Phone and video consultations',
    'followup.column.enrolled': 'Enrolled patients',
    'followup.column.newEnrollments': 'New enrollments',
    'followup.column.shortTerm': 'Patients in short-term care',
    'followup.column.newShortTerm': 'New short-term stays',
    'followup.column.withinHours': 'Within service hours',
    'followup.column.outsideHours': 'Outside service hours',
    'followup.column.answered': 'Answered',
    'followup.column.declined': 'Declined',
    'followup.column.medianMinutes': 'Median minutes to the physician visit',
    'followup.column.discharges': 'Discharges',
    'followup.column.readmitted': 'Readmitted within 30 days',
    'followup.column.rate': 'Rate',
  },
};

const LANGUAGES = Object.keys(STRINGS);  // the first is the default
let language = LANGUAGES[0];

// The text of `key` in the current language (Swedish, should English lack it; the key itself,
// should both), with {0}, {1}... replaced by the arguments.
function t(key, ...args) {
  let text = STRINGS[language][key];
  if (text === undefined) text = STRINGS[LANGUAGES[0]][key];
  if (text === undefined) return key;
  if (typeof text === 'function') return text(...args);
  return text.replace(/\{(\d+)\}/g, (_, i) => (args[+i] === undefined ? '' : String(args[+i])));
}

// Sets every keyed text below `root` in the current language.
function translate(root) {
  for (const node of (root || document).querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const [data, attribute] of [['i18nPlaceholder', 'placeholder'], ['i18nTitle', 'title'], ['i18nAriaLabel', 'aria-label']]) {
    const selector = '[data-' + data.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()) + ']';
    for (const node of (root || document).querySelectorAll(selector)) node.setAttribute(attribute, t(node.dataset[data]));
  }
}

// Switches the page to `lang` (remembered in this browser) and tells the scripts to redraw.
function setLanguage(lang) {
  language = STRINGS[lang] ? lang : LANGUAGES[0];
  try { localStorage.setItem(I18N_KEY, language); } catch (e) { /* private mode: not remembered */ }
  document.documentElement.lang = language;
  // A page names its title's key on <html data-title-key> (the console's by default).
  document.title = t(document.documentElement.dataset.titleKey || 'app.title');
  translate(document);
  document.dispatchEvent(new CustomEvent('brygga:language', { detail: language }));
}

// The language chosen before in this browser, or the default.
function storedLanguage() {
  let stored = null;
  try { stored = localStorage.getItem(I18N_KEY); } catch (e) { stored = null; }
  return STRINGS[stored] ? stored : LANGUAGES[0];
}
