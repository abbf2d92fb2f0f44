//! HTTP mode's stand-in for poise's dispatch: the command's options read as poise reads them,
//! handed to the same `run` functions the gateway's poise commands call. Only option parsing
//! lives here; what each command does is its module's.

use poise::serenity_prelude as serenity;
use serenity::ResolvedValue;

use super::super::{add, ask, call::Call, enrich, episode, lookup, reload, stats, Data, Error};

/// Why a command was not run to the end.
#[derive(Debug, thiserror::Error)]
pub(super) enum Failed {
    /// poise's `ArgumentParse`: a required option is missing or of the wrong type.
    #[error("option `{0}` is missing or not of its declared type")]
    Option(&'static str),
    #[error("no command is called /{0}")]
    Unknown(String),
    #[error(transparent)]
    Command(Error),
}

impl From<Error> for Failed {
    fn from(e: Error) -> Self {
        Failed::Command(e)
    }
}

/// Every command's options, as `dispatch` reads them: (command, [(option, required)]). A test
/// checks them against poise's declarations, so the two transports cannot drift apart.
#[cfg(test)]
const OPTIONS: &[(&str, &[(&str, bool)])] = &[
    (
        "ask",
        &[("question", true), ("episode", false), ("private", false)],
    ),
    ("episode", &[("query", true)]),
    ("reload", &[("file", false)]),
    ("enrich", &[("episode", true), ("force", false)]),
    (
        "add",
        &[
            ("file", true),
            ("url", true),
            ("title", true),
            ("date", false),
        ],
    ),
    ("stats", &[("days", false)]),
];

/// Run the slash command `call` names.
pub(super) async fn command(call: &Call<'_>) -> Result<(), Failed> {
    let data = &call.interaction.data;
    let resolved = data.options();
    let o = Options(&resolved);
    match data.name.as_str() {
        "ask" => {
            let question = o.string("question")?;
            ask::run(
                call,
                question,
                o.opt_string("episode"),
                o.opt_bool("private"),
            )
            .await?
        }
        "episode" => episode::run(call, o.string("query")?).await?,
        "reload" => reload::run(call, o.opt_attachment("file")).await?,
        "enrich" => enrich::run(call, o.string("episode")?, o.opt_bool("force")).await?,
        "add" => {
            let (file, url, title) = (o.attachment("file")?, o.string("url")?, o.string("title")?);
            add::run(call, file, url, title, o.opt_string("date")).await?
        }
        "stats" => stats::run(call, o.opt_u32("days")).await?,
        other => return Err(Failed::Unknown(other.to_string())),
    }
    Ok(())
}

/// An autocomplete request: the choices for the option being typed, or `None` when that option
/// has no autocomplete. Every autocomplete the commands declare is `lookup::autocomplete_episode`
/// (a test checks it), so its answer is computed here without poise's `Context`.
pub(super) async fn autocomplete(
    data: &Data,
    commands: &[poise::Command<Data, Error>],
    i: &serenity::CommandInteraction,
) -> Option<serenity::CreateAutocompleteResponse> {
    let options = i.data.options();
    let (name, partial) = options.iter().find_map(|o| match &o.value {
        ResolvedValue::Autocomplete { value, .. } => Some((o.name, *value)),
        _ => None,
    })?;
    let command = commands.iter().find(|c| c.name == i.data.name)?;
    let parameter = command.parameters.iter().find(|p| p.name == name)?;
    parameter.autocomplete_callback?;
    Some(lookup::episode_choices(&data.app, partial).await)
}

/// A command's resolved options, read by name.
struct Options<'a>(&'a [serenity::ResolvedOption<'a>]);

impl Options<'_> {
    fn get(&self, name: &str) -> Option<&ResolvedValue<'_>> {
        self.0.iter().find(|o| o.name == name).map(|o| &o.value)
    }

    fn opt_string(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            ResolvedValue::String(s) => Some((*s).to_string()),
            _ => None,
        }
    }

    fn string(&self, name: &'static str) -> Result<String, Failed> {
        self.opt_string(name).ok_or(Failed::Option(name))
    }

    /// An integer option within `u32` (poise's `Option<u32>`: anything else is no value).
    fn opt_u32(&self, name: &str) -> Option<u32> {
        match self.get(name)? {
            ResolvedValue::Integer(n) => u32::try_from(*n).ok(),
            _ => None,
        }
    }

    fn opt_bool(&self, name: &str) -> Option<bool> {
        match self.get(name)? {
            ResolvedValue::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    fn opt_attachment(&self, name: &str) -> Option<serenity::Attachment> {
        match self.get(name)? {
            ResolvedValue::Attachment(a) => Some((*a).clone()),
            _ => None,
        }
    }

    fn attachment(&self, name: &'static str) -> Result<serenity::Attachment, Failed> {
        self.opt_attachment(name).ok_or(Failed::Option(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_mode_reads_the_options_poise_declares() {
        let declared: Vec<(String, Vec<(String, bool)>)> = super::super::super::commands()
            .iter()
            .map(|c| {
                let params = c
                    .parameters
                    .iter()
                    .map(|p| (p.name.to_string(), p.required));
                (c.name.to_string(), params.collect())
            })
            .collect();
        let read: Vec<(String, Vec<(String, bool)>)> = OPTIONS
            .iter()
            .map(|(c, params)| {
                let params = params.iter().map(|(p, r)| (p.to_string(), *r));
                (c.to_string(), params.collect())
            })
            .collect();
        assert_eq!(read, declared);
    }

    #[test]
    fn every_autocomplete_is_the_episode_lookup() {
        let mut with_autocomplete = Vec::new();
        for c in super::super::super::commands() {
            for p in c
                .parameters
                .iter()
                .filter(|p| p.autocomplete_callback.is_some())
            {
                with_autocomplete.push(format!("{} {}", c.name, p.name));
            }
        }
        // All are `#[autocomplete = "lookup::autocomplete_episode"]`: a new autocomplete needs
        // its own branch in `autocomplete` above.
        assert_eq!(
            with_autocomplete,
            ["ask episode", "episode query", "enrich episode"]
        );
    }
}
