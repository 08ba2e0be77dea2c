/**
 * Client matrix: kafka-python 2.0.2 (Debian python3-kafka, with
 * python3-snappy, python3-lz4, python3-zstandard for the codecs), driven
 * through test/compat/py/kafka_python_client.py.
 */
import { pythonClientMatrix } from './helpers/python-suite.js';

pythonClientMatrix('kafka-python 2.0.2', 'kafka_python_client.py', 'kafka-python');
