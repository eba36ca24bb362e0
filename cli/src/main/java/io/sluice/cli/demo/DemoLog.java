package io.sluice.cli.demo;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The demo's screen is its own: while it runs, log events go to a file (named in its header)
 * instead of the console, so no log line lands inside the live view or after the verdict. Where
 * the logging is not logback's (a caller's own binding), nothing is moved.
 */
final class DemoLog implements AutoCloseable {

    private final Logger root;
    private final List<Appender<ILoggingEvent>> console = new ArrayList<>();
    private final FileAppender<ILoggingEvent> file;

    private DemoLog(Logger root, FileAppender<ILoggingEvent> file) {
        this.root = root;
        this.file = file;
    }

    /** Moves the root logger's output to {@code path}; null when logging is not logback's. */
    static DemoLog toFile(Path path) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return null;
        }
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} level=%-5level thread=%thread logger=%logger{30} msg=\"%msg\"%n");
        encoder.start();
        FileAppender<ILoggingEvent> file = new FileAppender<>();
        file.setContext(ctx);
        file.setName("demo-file");
        file.setFile(path.toString());
        file.setAppend(false);
        file.setEncoder(encoder);
        file.start();
        DemoLog log = new DemoLog(root, file);
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            log.console.add(it.next());
        }
        root.addAppender(file);
        log.console.forEach(root::detachAppender);
        return log;
    }

    /** Gives the console its log lines back. */
    @Override
    public void close() {
        console.forEach(root::addAppender);
        root.detachAppender(file);
        file.stop();
    }
}
