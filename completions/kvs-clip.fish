function __kvs-clip_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __kvs-clip_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __kvs-clip_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __kvs-clip_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __kvs-clip_parse_tokens -S
    set -l unparsed_tokens (__kvs-clip_tokens -pc)
    switch $unparsed_tokens[1]
    case 'kvs-clip'
        __kvs-clip_parse_subcommand 0 'endpoint-url=' 'region=' 'profile=' 'access-key-id=' 'secret-access-key=' 'ca-bundle=' 'attempts=' 'camera-id=' 'stream-arn=' 'stream-name=' 'start-time=' 'end-time=' 'work-dir=' 'timestamps=' 'pad-start' 'thumbnail' 'thumbnail-at=' 'thumbnail-width=' 'hls' 'hls-mode=' 'hls-expires=' 'to=+' 'presign=' 'ttl=+' 'copy-mode=' 'content-type=' 'keep-local' 'addressing-style=' 'azure-connection-string=' 'part-size=' 'multipart-threshold=' 'part-jobs=' 'v/verbose' 'q/quiet' 'log-format=' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __kvs-clip_parse_subcommand -r 1 'version'
        end
    end
end

function __kvs-clip_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __kvs-clip_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __kvs-clip_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __kvs-clip_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__kvs-clip_tokens -p)
    if test -z "$(__kvs-clip_tokens -t)"
        set -l index (count (__kvs-clip_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'kvs-clip' -f
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" endpoint-url' -l 'endpoint-url' -d 'The service endpoint (default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL_KINESIS_VIDEO, then AWS_ENDPOINT_URL, then the profile\'s services section and endpoint_url, else AWS).' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" region' -l 'region' -d 'AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile\'s; S3 alone falls back to us-east-1).' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" profile' -l 'profile' -d 'AWS profile in ~/.aws/credentials and ~/.aws/config (default: AWS_PROFILE).' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" access-key-id' -l 'access-key-id' -d 'AWS access key id (default: the credential chain, starting with AWS_ACCESS_KEY_ID).' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" secret-access-key' -l 'secret-access-key' -d 'AWS secret access key, with --access-key-id. Visible to other users in ps (a warning says so): prefer AWS_SECRET_ACCESS_KEY or a profile.' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" ca-bundle' -l 'ca-bundle' -d 'CA certificates (PEM) to verify AWS\'s TLS endpoints with (default: AWS_CA_BUNDLE, the profile\'s ca_bundle, else the system\'s).' -rF
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" attempts' -l 'attempts' -d 'Attempts per request before a throttle, network error or 5xx is final (then exit 75).' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" camera-id' -l 'camera-id' -d 'One task from flags: the camera id.' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" stream-arn' -l 'stream-arn' -d 'One task from flags: the stream ARN.' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" stream-name' -l 'stream-name' -d 'One task from flags: the stream name.' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" start-time' -l 'start-time' -d 'One task from flags: the clip start (RFC 3339).' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" end-time' -l 'end-time' -d 'One task from flags: the clip end (RFC 3339; default: --start-time plus S2_CLIP_DURATION seconds).' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" work-dir' -l 'work-dir' -d 'Where clips go (else CLIPLINE_WORK_DIR, else a new temporary directory).' -rfa '(__kvs-clip_complete_directories)'
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" timestamps' -l 'timestamps' -d 'Which clock the task\'s times are on: producer or server.' -rfka 'producer server'
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" pad-start' -l 'pad-start' -d 'Also fetch the fragment holding start_time, which GetClip would drop.'
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" thumbnail' -l 'thumbnail' -d 'Write a JPEG of the clip\'s first frame next to it.'
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" thumbnail-at' -l 'thumbnail-at' -d 'Take the thumbnail this far into the clip instead of the first frame (implies --thumbnail).' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" thumbnail-width' -l 'thumbnail-width' -d 'The thumbnail\'s width in pixels (the height keeps the aspect ratio).' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" hls' -l 'hls' -d 'Write the HLS streaming session URL instead of downloading a clip.'
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" hls-mode' -l 'hls-mode' -d 'With --hls: live, live-replay or on-demand (the task\'s range).' -rfka 'live live-replay on-demand'
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" hls-expires' -l 'hls-expires' -d 'With --hls: how long the URL stays valid (5m-12h).' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip"' -l 'to' -d 'A destination: TEMPLATE=FIELD (repeatable; all upload in parallel).' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" presign' -l 'presign' -d 'Add FIELD_presigned_url, a GET URL valid this long (at most 7d), for each destination.' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip"' -l 'ttl' -d 'Mark a destination as cache: its object expires after DURATION (tag and Expires); repeatable.' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" copy-mode' -l 'copy-mode' -d 'A second destination on the same service: auto or server (a server-side copy), or upload.' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" content-type' -l 'content-type' -d 'Content-Type of the objects (default: from the file extension).' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" keep-local' -l 'keep-local' -d 'With --to: also keep the clip in the work directory (clip_path), for a later stage on this host.'
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" addressing-style' -l 'addressing-style' -d 'S3 addressing: auto (virtual-hosted on AWS, path-style elsewhere), path or virtual.' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" azure-connection-string' -l 'azure-connection-string' -d 'Azure connection string (default: AZURE_STORAGE_CONNECTION_STRING, the safer way: a key or SAS here shows in ps).' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" part-size' -l 'part-size' -d 'Part (and block) size for large transfers, 5M to 5G: bytes, or with K/M/G (MiB units).' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" multipart-threshold' -l 'multipart-threshold' -d 'Files at least this large (at most 5G, S3\'s largest single PUT) use multipart (S3) or block (Azure) uploads and ranged downloads.' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" part-jobs' -l 'part-jobs' -d 'Parts or ranges of one object in flight at once (1 to 64; default 8).' -rfka ''
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" v verbose' -l 'verbose' -s 'v' -d 'Say more on stderr: every step, with timings.'
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" q quiet' -l 'quiet' -s 'q' -d 'Say only errors on stderr.'
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" log-format' -l 'log-format' -d 'How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, else text.' -rfka 'text json'
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" version' -l 'version' -d 'Show the version.'
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_positional "kvs-clip" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'kvs-clip' -n '__kvs-clip_should_offer_completions_for_flags_or_options "kvs-clip help" version' -l 'version' -d 'Show the version.'
