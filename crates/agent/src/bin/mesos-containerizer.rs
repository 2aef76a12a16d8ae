//! `mesos-containerizer launch --launch_info=<JSON>`: sets up a container
//! for the Linux launcher and execs its executor (see
//! `containerizer/helper.rs`).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("launch") {
        eprintln!("usage: mesos-containerizer launch --launch_info=<JSON>");
        std::process::exit(2);
    }
    std::process::exit(mesos_agent::containerizer::helper::main(&args[1..]));
}
