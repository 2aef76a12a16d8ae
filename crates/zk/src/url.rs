//! `--zk` and `--master` URLs: `zk://[user:password@]host:port,.../path`,
//! or `file:///path` to a file holding one (read when parsed).

use crate::error::ZkError;

/// A parsed ZooKeeper URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkUrl {
    /// `host:port,host:port`, as the ZooKeeper client takes them.
    pub servers: String,
    /// The znode under which masters are kept (e.g. `/mesos`).
    pub path: String,
    /// `digest` credentials, when the URL carries `user:password@`.
    pub credentials: Option<(String, String)>,
}

impl ZkUrl {
    /// Parses a `zk://` URL or reads one from a `file://` path.
    pub fn parse(text: &str) -> Result<ZkUrl, ZkError> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("file://") {
            let content = std::fs::read_to_string(path)
                .map_err(|e| ZkError::File { path: path.to_owned(), reason: e.to_string() })?;
            if content.trim().starts_with("file://") {
                return Err(invalid(text, "a file:// URL must hold a zk:// URL, not another file:// URL"));
            }
            return ZkUrl::parse(&content);
        }
        let rest = text.strip_prefix("zk://").ok_or_else(|| invalid(text, "expected zk:// or file://"))?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => return Err(invalid(text, "expected a path after the servers (e.g. /mesos)")),
        };
        let path = path.trim_end_matches('/');
        if path.is_empty() {
            return Err(invalid(text, "the path must not be '/' alone"));
        }
        let (credentials, servers) = match authority.rsplit_once('@') {
            Some((user_password, servers)) => {
                let (user, password) =
                    user_password.split_once(':').ok_or_else(|| invalid(text, "credentials must be user:password"))?;
                (Some((user.to_owned(), password.to_owned())), servers)
            }
            None => (None, authority),
        };
        if servers.is_empty()
            || servers
                .split(',')
                .any(|s| s.rsplit_once(':').is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err()))
        {
            return Err(invalid(text, "servers must be host:port, separated by commas"));
        }
        Ok(ZkUrl { servers: servers.to_owned(), path: path.to_owned(), credentials })
    }
}

fn invalid(url: &str, reason: &str) -> ZkError {
    ZkError::Url { url: url.to_owned(), reason: reason.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_servers_path_and_credentials() {
        let url = ZkUrl::parse("zk://10.0.0.1:2181,10.0.0.2:2181/mesos").unwrap();
        assert_eq!(url.servers, "10.0.0.1:2181,10.0.0.2:2181");
        assert_eq!(url.path, "/mesos");
        assert_eq!(url.credentials, None);
        let url = ZkUrl::parse("zk://jo:secret@zk1:2181/a/b/").unwrap();
        assert_eq!(url.path, "/a/b");
        assert_eq!(url.credentials, Some(("jo".into(), "secret".into())));
    }

    #[test]
    fn refuses_what_is_not_a_zookeeper_url() {
        for bad in [
            "http://zk:2181/mesos",
            "zk://zk:2181",
            "zk://zk:2181/",
            "zk:///mesos",
            "zk://zk/mesos",
            "zk://u@zk:2181/m",
        ] {
            assert!(ZkUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_a_url_from_a_file() {
        let dir = std::env::temp_dir().join(format!("zk-url-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("zk");
        std::fs::write(&file, "zk://localhost:2181/mesos\n").unwrap();
        let url = ZkUrl::parse(&format!("file://{}", file.display())).unwrap();
        assert_eq!(url.servers, "localhost:2181");
        assert!(ZkUrl::parse("file:///nonexistent/zk").is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
