//! The sandbox ISP's fixed facts: where it listens (each service on its real loopback port) and
//! its accounts and CA certificate.

use leptos::prelude::*;
use shared::sandbox::SandboxInfo;

use crate::components::{FrameHint, Window};
use crate::use_ui;

/// The endpoints and accounts windows.
#[component]
pub fn IspInfo(info: Memo<Option<SandboxInfo>>) -> impl IntoView {
    let lang = use_ui().lang;
    view! {
        <Window id="isp-endpoints" ja="接続先" en="Endpoints">
            <table class="fields">
                <tbody>
                    {move || info.with(|i| i.as_ref().map(|i| i.endpoints.iter().map(|e| view! {
                        <tr>
                            <th scope="row">{format!("{} ({})", e.service.name(), e.service.well_known_port())}</th>
                            <td data-testid=format!("endpoint-{}", e.service.name())>{format!("{}:{}", e.address, e.port)}</td>
                        </tr>
                    }).collect_view()))}
                </tbody>
            </table>
            <FrameHint
                ja="エンジンは mail.sandbox.test などの名前とサービス名（smtp = 25 など）をこれらの実ポートに読み替えます。普通のメールソフトからも接続できます。"
                en="The engine maps names such as mail.sandbox.test and service names (smtp = 25, …) onto these real ports. Ordinary mail clients can connect too."
            />
        </Window>
        <Window id="isp-accounts" ja="アカウント" en="Accounts">
            <p>{move || lang.get().pick("ドメイン: ", "Domain: ")}<code data-testid="isp-domain">{move || info.with(|i| i.as_ref().map(|i| i.domain.clone()))}</code></p>
            <ul class="plain account-list" data-testid="isp-account-list">
                {move || info.with(|i| i.as_ref().map(|i| i.accounts.iter().map(|a| view! { <li><code>{a.clone()}</code></li> }).collect_view()))}
            </ul>
            <FrameHint
                ja="研修用パスワードは README に書かれています（画面には送られません）。"
                en="The training passwords are in the README (they are never sent to the page)."
            />
            <details>
                <summary>{move || lang.get().pick("CA 証明書（PEM）", "CA certificate (PEM)")}</summary>
                <pre class="pem">{move || info.with(|i| i.as_ref().map(|i| i.ca_pem.clone()))}</pre>
            </details>
        </Window>
    }
}
