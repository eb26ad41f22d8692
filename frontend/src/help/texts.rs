//! The paragraphs of each help section, in Japanese and English, after the manual page where it
//! speaks (account, authentication, OP25B, interval, restart, frame (3)) and in our own words
//! for the screens it does not have.

use shared::Lang;

use super::Section;

/// The paragraphs of `section` in `lang`; both languages have as many.
pub(super) fn paragraphs(section: Section, lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::Ja => japanese(section),
        Lang::En => english(section),
    }
}

fn japanese(section: Section) -> &'static [&'static str] {
    match section {
        Section::Account => &[
            "KaracrixBuilder を 1 人の人間と見立てて、このシステム専用の新規メールアカウントを用意してください。POP と SMTP で接続できるサービスのアカウントなら、無料のものでも使えます。",
            "注意: 一度読み取ったメールは、メールサーバから削除され残りません。自分が使っているメールアカウントを一時的にこの用途に使うと、そこに届いたメールがすべて読み取られ、サーバから消えます。必ず専用のアカウントを使ってください。",
            "プロバイダ（メールサーバ管理者）から受け取った情報は、次の表のとおり「Eメール接続環境設定」の (1) 枠に設定します。ログイン認証が必要かどうかも管理者に確認し、(2) 枠で選びます。",
        ],
        Section::Fields => &[
            "5〜12 は元の画面の番号どおりです。1〜4 は本シミュレータの追加項目です。設定画面の各項目の ? からここの説明を開けます。",
        ],
        Section::Auth => &[
            "11.PopBeforeSmtp: 送信の前に POP サーバへログインし、その記録で一定時間 SMTP の送信が許される方式です。通常はこちらを選びます。認証のとき POP サーバにアクセスします。",
            "12.SmtpAuthLogin: SMTP サーバ自身にユーザ名とパスワードでログインしてから送る方式です。サーバがログイン認証を求める場合（セキュリティの厳しいところ、submission ポートの多く）に選びます。",
            "どちらが必要かはメールサーバの管理者に確認してください。",
        ],
        Section::Op25b => &[
            "OP25B（Outbound Port 25 Blocking）は、迷惑メールを抑えるためにプロバイダが外向きの 25 番ポートを塞ぐ仕組みです。採用するプロバイダが増えています。",
            "25 番ポートのサービス名は smtp です。OP25B を実施しているサーバへは 587 番、サービス名 submission で送信します。そのため 5.SMTP名 には多くの場合 submission を指定します。環境によっては smtp のままの場合もあるので、管理者に確認してください。",
            "OP25B のサーバに smtp で接続すると、画面 (3) に接続エラー（err timeout など）が出ます。そのときは 5.SMTP名 を submission に変え、認証方式（多くは 12.SmtpAuthLogin）も確認して、RST で再起動してください。",
        ],
        Section::Interval => &[
            "1.メール受信間隔時間（分）に 1 以上を入れると、その間隔でメールボックスを読みに行きます。読んだメールはテキストとして解析され、情報を求めるコマンドにはメールで答え、ポイントを操作するコマンドはポイントを操作して結果を返します。読んだメールはサーバから削除し、残しません。",
            "設定する値には十分注意してください。小刻みに設定しすぎると、メールサーバにハッカー（不正アクセス）と疑われることがあります。数分単位は避け、10・20・30・60 分程度が安全です。メールサーバ管理者に相談してください。10 分未満を入力すると、設定画面の項目の下に警告が出ます（登録はできます）。",
            "メールで遠隔操作をせず、警報メールのような外部への送信だけに使う場合は 0 にして、常時の受信を止めてください。定期的な受信（POP サーバへの接続）がなくなり、システムに余分な負荷をかけません。0 でも送信は行います。",
            "研修用の初期設定（サンドボックス）は 10 分です。時間倍率（例 ×60 なら 1 分が 1 秒）により、実際には数秒ごとに受信します。",
            "GUI呼出コンソールの「今すぐ受信」は本シミュレータの追加機能で、元の製品にはありません。1.メール受信間隔時間 が 0（受信停止）のときは、マニュアルどおり受信しないよう、このボタンは使えなくなります。",
        ],
        Section::Restart => &[
            "登録した設定はすぐには使われません。システムへの反映には再起動が必要です。メインメニューまで戻り、メインメニューを閉じて、GUI呼出コンソール画面より再起動（RST）してください。",
            "本シミュレータでの手順: 設定画面の「システム設定へ戻る」→「メインメニューへ戻る」→ メインメニューの「メインメニューを閉じる」→ GUI呼出コンソールの「RST（再起動）」。",
        ],
        Section::Status => &[
            "送受信の間、メールサーバとの接続状態が画面 (3) に表示されます。正常なら run (回数) です。PopBeforeSmtp を選んでいる場合は、認証のとき POP サーバにアクセスします。",
        ],
        Section::Commands => &[
            "コマンドメールは本文の 1 行に 1 コマンドです。件名もコマンドとして読める場合は 1 行として読みます（Re: などの返信の件名は読みません）。全角・小文字でも構いません。「>」で始まる引用行と、「-- 」の署名行から後は読みません。",
            "返信は送信元に届きます。件名は「Re: 元の件名」、本文は各コマンド行を「> 」で引用し、その下に結果を書きます。誤りのある行の結果は「エラー:」で始まります。",
            "3.コマンド許可アドレス にない送信元のメールや、暗証番号が違うメールは何も実行せず、返信もしません（記録だけ残り、メールはサーバから削除されます）。",
        ],
        Section::Console => &[
            "GUI呼出コンソールはメインメニューの外にあり、メインメニューを閉じると現れます。メインメニューに戻るには「メインメニューを開く」を押します。",
            "RST（再起動）: エンジンを再起動し、登録した設定を反映します。比較表で「登録済み」と「実行中」が違う行（色付き）が、RST で変わる項目です。",
            "「今すぐ受信」は本シミュレータの追加機能です。受信間隔を待たずにメールボックスを一度読み、コマンドメールを実行します。元の製品にはないため、1.メール受信間隔時間 が 0（受信停止）のときは使えません。",
        ],
        Section::Points => &[
            "ポイントは監視・制御の対象です。種別: DI 接点入力、DO 接点出力、AI 計測値、AO 設定値、CNT 積算値。",
            "DO と AO はコマンドメールと同じように操作できます。DI と AI の「模擬」は研修用の入力です（扉を開ける、温度を上げるなど）。",
            "警報: DI は決められた状態（扉なら開）で接点警報、AI は警報設定値を下回ると下限警報、上回ると上限警報です。警報の発生と復旧は 2.警報メール宛先 にメールで知らせます。",
        ],
        Section::Phone => &[
            "運用者の携帯電話（operator@sandbox.test）です。システムにコマンドメールを送り、返信と警報メールを受け取ります。文字コードは、従来の携帯電話が使う ISO-2022-JP や Shift_JIS も選べ、返信は同じ文字コードで届きます。",
            "「コマンドとしての解釈」は、システムが受信したときと同じ規則で読み取った結果です。返信は、システムがメールを受信したとき（受信間隔ごと、または GUI呼出コンソールの「今すぐ受信」）に送られます。「メールを確認」で受信箱を読みます。",
        ],
        Section::Log => &[
            "エンジン、サンドボックスISP、携帯の POP3 と SMTP のやりとりを、両側の行として表示します。パスワードは伏せ字になります。",
            "エラーの原因を探すときは、サーバの応答（+OK / -ERR、250 / 535 など）を確認してください。",
        ],
        Section::Isp => &[
            "サンドボックスISP は本シミュレータに組み込まれた模擬プロバイダです（ドメイン sandbox.test）。メールはこのマシンの外に出ません。普通のメールソフトからも接続できます。",
            "ポリシーで OP25B、各ポートが求める認証、STARTTLS、障害の再現を切り替えられます。「適用」すると新しい接続から有効です。研修では講師が操作します。",
        ],
        Section::MailLang => &[
            "システムが書く返信メールと警報メールの言語です。元の製品どおり日本語が既定です。英語を読む運用者には English を選びます。画面の言語切替とは別の設定で、登録して RST すると反映されます。",
        ],
        Section::ConnTest => &[
            "「接続テスト」は画面に入力中の設定（登録していなくても）でメールサーバに接続してみます。POP: 接続、暗号化、ログイン、STAT（件数の確認のみ）、QUIT。SMTP: PopBeforeSmtp の POP ログイン、接続、STARTTLS、ログイン認証（AUTH）、求めたときだけ 8.自分のメールアドレス名 へのテストメール、QUIT。",
            "各段階の結果は画面 (3) と同じ表示コードで示し、『?』でその意味と対処を開きます。メールの取り出しや削除はしません。実行中の設定はそのまま動き続け、設定の登録や反映（RST）もしません。パスワード欄が空なら登録済みのパスワードを使います。",
        ],
    }
}

fn english(section: Section) -> &'static [&'static str] {
    match section {
        Section::Account => &[
            "KaracrixBuilder acts as one more person with a mail account of its own: prepare a new account dedicated to this system. Any service reachable by POP and SMTP will do, free ones included.",
            "Caution: mail once read is deleted from the mail server; none is left. If you lend the system an account you use yourself, every mail arriving there is read and removed from the server. Always use a dedicated account.",
            "What your provider (or the mail server's administrator) gives you goes into frame (1) of the e-mail connection settings as the table shows. Ask whether login authentication is required too, and choose it in frame (2).",
        ],
        Section::Fields => &[
            "Fields 5–12 are numbered as on the original screen; 1–4 are this simulator's additions. The ? beside each field on the settings screen opens its entry here.",
        ],
        Section::Auth => &[
            "11. PopBeforeSmtp: log in to the POP server before sending; for a while afterwards the SMTP server accepts mail from this address. The usual choice. The POP server is contacted to authenticate.",
            "12. SmtpAuthLogin: log in to the SMTP server itself with user name and password, then send. Choose it when the server requires login authentication (stricter sites, most submission ports).",
            "Ask the mail server's administrator which one it needs.",
        ],
        Section::Op25b => &[
            "OP25B (Outbound Port 25 Blocking) is how providers curb spam: outbound port 25 is blocked. More and more providers do it.",
            "Port 25's service name is smtp. A server with OP25B takes mail on port 587, service name submission, so 5. SMTP service is usually submission. Some sites still use smtp; ask the administrator.",
            "Connecting to such a server with smtp shows a connection error in frame (3), such as err timeout. Then change 5. SMTP service to submission, check the authentication method (often 12. SmtpAuthLogin) and restart with RST.",
        ],
        Section::Interval => &[
            "With 1. Receive interval (min) at 1 or more, the mailbox is read at that interval. Mail read is parsed as text: requests for information are answered by mail, point commands operate the point and the result is mailed back. Mail once read is deleted from the server.",
            "Choose the value with care. Polling too often can make the mail server take the system for an attacker. Avoid intervals of a few minutes; 10, 20, 30 or 60 minutes is the safe order. Ask the server's administrator. A value below 10 shows a warning under the field (it can still be saved).",
            "If nobody controls the system by mail and it only sends (alarm mails, for example), set 0 to stop receiving altogether: no periodic POP connections, so no needless load on the system. Sending still works with 0.",
            "The training preset (the sandbox) uses 10 minutes. The time scale (e.g. ×60 makes a minute last a second) turns that into a read every few seconds.",
            "Receive now on the GUI console is this simulator's addition; the original has no such button. With 1. Receive interval (min) at 0 (receiving off) the button is disabled, so that 0 stops receiving as the manual says.",
        ],
        Section::Restart => &[
            "Saved settings are not used at once: the system must restart. Go back to the main menu, close the main menu, and restart with RST on the GUI console.",
            "In this simulator: Back to system settings on the settings screen → Back to main menu → Close the main menu → RST (restart) on the GUI console.",
        ],
        Section::Status => &[
            "While sending and receiving, frame (3) shows the connection to the mail server. When all is well it reads run (count). With PopBeforeSmtp the POP server is contacted to authenticate.",
        ],
        Section::Commands => &[
            "A command mail holds one command a line in its text. The Subject counts as one more line when it reads as a command (a reply's Re: subject does not). Full-width and lower case work. Lines quoted with > and everything after a -- signature line are skipped.",
            "The reply goes to the sender, titled Re: and the subject. Each command line is quoted with > and its result follows; the result of a line in error starts with an error mark.",
            "Mail from a sender not in 3. Allowed command senders, or with a wrong PIN, runs nothing and gets no reply (it is logged, and removed from the server).",
        ],
        Section::Console => &[
            "The GUI console lies outside the main menu: closing the main menu shows it. Open the main menu again to go back.",
            "RST (restart): restarts the engine with the saved settings. Highlighted rows of the table, where saved and running differ, are what RST changes.",
            "Receive now is this simulator's addition: it reads the mailbox once without waiting for the interval and runs the command mails. The original has no such button, so it is disabled while 1. Receive interval (min) is 0 (receiving off).",
        ],
        Section::Points => &[
            "Points are what the system monitors and controls. Types: DI contact input, DO on/off output, AI measured value, AO set-point, CNT totaliser.",
            "DO and AO are operated as a command mail would. The simulate controls of DI and AI are training inputs (open a door, raise a temperature).",
            "Alarms: a DI alarms in its set state (a door when open); an AI raises a low alarm below its low alarm limit and a high alarm above its high one. Alarms raised and cleared are mailed to 2. Alarm mail recipients.",
        ],
        Section::Phone => &[
            "The operator's phone (operator@sandbox.test): it sends command mails to the system and receives the replies and alarm mails. It can write ISO-2022-JP or Shift_JIS as classic phones do; the reply comes in the same charset.",
            "As commands shows what the system will read in the mail, by the same rules. The reply is sent when the system receives the mail (each receive interval, or Receive now on the GUI console). Check mail reads the inbox.",
        ],
        Section::Log => &[
            "The POP3 and SMTP dialogue of the engine, the sandbox ISP and the phone, both sides of each line. Passwords are masked.",
            "When looking for the cause of an error, read the server's answers (+OK / -ERR, 250 / 535, …).",
        ],
        Section::Isp => &[
            "The sandbox ISP is a simulated provider inside this simulator (domain sandbox.test). Mail never leaves this machine. Ordinary mail clients can connect too.",
            "Its policies switch OP25B, what each port requires, STARTTLS and faults. Apply makes them count for new connections. In a class the instructor works this panel.",
        ],
        Section::MailLang => &[
            "The language of the replies and alarm mails the system writes. Japanese, as in the original product, unless the operators read English. It is separate from the screen's language switch; it takes effect after saving and RST.",
        ],
        Section::ConnTest => &[
            "Connection test tries the settings on the screen (saved or not) against the mail servers. POP: connect, encryption, login, STAT (a count only), QUIT. SMTP: the POP login of PopBeforeSmtp, connect, STARTTLS, login (AUTH), a test mail to 8. Own e-mail address only when asked, QUIT.",
            "Each step shows the code frame (3) would show, and its ? opens what it means and how to fix it. No mail is retrieved or deleted. The running settings keep running; nothing is saved or applied (RST). With the password input empty, the saved password is used.",
        ],
    }
}
